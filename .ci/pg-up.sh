#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests and print, for eval, the
# exports that point them at it:
#   eval "$(.ci/pg-up.sh)"; ...; .ci/pg-down.sh "$HOOKRELAY_TEST_PG_DIR"
# The cluster lives in one private temporary directory: data, log and a unix
# socket, no TCP port (PG_TCP=1 listens on a free port of 127.0.0.1 instead).
# As root the server runs as nobody (PostgreSQL refuses root). Durability is
# off: the cluster is thrown away.
set -euo pipefail

initdb=$(command -v initdb || true)
if [ -z "$initdb" ]; then
  initdb=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 || true)
fi
if [ -z "$initdb" ]; then
  echo "pg-up: initdb not found (install postgresql)" >&2
  exit 1
fi
bindir=$(dirname "$(readlink -f "$initdb")")
dir=$(mktemp -d /tmp/hrpg.XXXXXX) # short: a socket path must stay under 107 bytes
as=()
if [ "$(id -u)" = 0 ]; then
  chown nobody: "$dir"
  as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --reset-env env "PATH=$bindir:/usr/bin:/bin")
fi
chmod 700 "$dir"

"${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }

opts="-k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
start() { "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 -o "$opts $1" start >&2; }
if [ "${PG_TCP:-}" = 1 ]; then
  for _ in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
      || shuf -i 20000-60000 -n 1)
    if start "-c listen_addresses=127.0.0.1 -p $port"; then break; fi
    port=
  done
  [ -n "$port" ] || { cat "$dir/server.log" >&2; rm -rf "$dir"; exit 1; }
  host=127.0.0.1
else
  port=5432
  start "-c listen_addresses='' -p $port" || { cat "$dir/server.log" >&2; rm -rf "$dir"; exit 1; }
  host=$dir
fi

echo "export HOOKRELAY_TEST_PG_DIR='$dir'"
echo "export HOOKRELAY_TEST_PG_DSN='host=$host port=$port user=postgres dbname=postgres sslmode=disable connect_timeout=10'"
