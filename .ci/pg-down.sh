#!/usr/bin/env bash
# Stop and delete a cluster started by pg-up.sh: pg-down.sh "$HOOKRELAY_TEST_PG_DIR"
set -uo pipefail
dir=${1:?usage: pg-down.sh DIR}
[ -d "$dir/data" ] || exit 0
bindir=$(dirname "$(readlink -f "$(command -v pg_ctl || compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -n 1)")")
as=()
if [ "$(id -u)" = 0 ]; then
  as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --reset-env env "PATH=$bindir:/usr/bin:/bin")
fi
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
rm -rf "$dir"
