package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook"
)

type replayOptions struct {
	ff       filterFlags
	edit     bool
	to       string
	toClient string
	resign   bool
	missed   bool
	parallel int
}

func replayCommand(g *globals) *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay [ID]",
		Short: "Send recorded deliveries again through their tunnel",
		Long: "With an ID, replay that delivery (byte-exact unless --edit or --resign).\n" +
			"Without, replay every delivery matching the filters, oldest first: --missed for those the app\n" +
			"may not have got (offline, expired, failed, interrupted), or --since/--status/... for any selection. --parallel N keeps N\n" +
			"replays in flight (faster; the app may then see them out of order).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return o.one(cmd, g, args[0])
			}
			if o.toClient != "" {
				return usagef("--to-client needs a record ID")
			}
			return o.bulk(cmd, g)
		},
	}
	o.ff.bind(cmd, 0)
	fl := cmd.Flags()
	fl.BoolVar(&o.edit, "edit", false, "edit method, path, headers and body in $EDITOR before sending")
	fl.StringVar(&o.to, "to", "", "send to this local URL instead of through the tunnel (not recorded)")
	fl.BoolVar(&o.resign, "resign", false, "recompute the webhook signature with the tunnel's secret")
	fl.StringVar(&o.toClient, "to-client", "", "with an ID: send to the attached client of this label (default: the primary)")
	fl.BoolVar(&o.missed, "missed", false, "replay the deliveries the app may not have got (outcome offline, expired, failed or interrupted) and not replayed yet")
	fl.IntVar(&o.parallel, "parallel", 1, fmt.Sprintf("bulk: replays in flight at once, 1 to %d (above 1 the app may see them out of order)", api.MaxParallel))
	return cmd
}

func (o *replayOptions) one(cmd *cobra.Command, g *globals, id string) error {
	c, err := g.apiClient()
	if err != nil {
		return err
	}
	edit := &api.Edit{Resign: o.resign, ToClient: o.toClient}
	var rec *api.Record
	if o.edit || o.to != "" {
		if rec, err = c.Get(cmd.Context(), id); err != nil {
			return err
		}
	}
	if o.edit {
		if err := editInEditor(g, rec, edit); err != nil {
			return err
		}
	}
	if o.to != "" {
		return sendLocal(cmd.Context(), g.stdout, o.to, rec, edit)
	}
	out, err := c.Replay(cmd.Context(), id, edit)
	if err != nil {
		return err
	}
	if g.json {
		return writeJSON(g.stdout, out)
	}
	if rec == nil {
		rec, _ = c.Get(cmd.Context(), id)
	}
	warnStale(g.stderr, rec, o.resign)
	fmt.Fprintf(g.stdout, "Replayed %s as %s: %s, %.1f ms\n", id, out.ID, answer(out), out.DurationMS)
	return nil
}

// warnStale tells the user when a byte-exact replay carries a timestamped signature the
// app will likely reject: one signed longer ago than the schemes' 5-minute tolerance,
// judged by the signature's own timestamp (a delivery may arrive already old).
func warnStale(w io.Writer, rec *api.Record, resigned bool) {
	if rec == nil || resigned {
		return
	}
	if name, age, ok := staleSignature(rec); ok {
		fmt.Fprintf(w, "warning: the recorded %s is %s old; apps checking a 5-minute tolerance will reject it (use --resign)\n",
			name, age.Round(time.Second))
	}
}

// staleSignature reports a timestamped signature of rec's request outside the
// schemes' tolerance, the header it is in and its age.
func staleSignature(rec *api.Record) (string, time.Duration, bool) {
	name, at, ok := webhook.SignedAt(headerMap(rec.Request.Headers))
	age := time.Since(at)
	return name, age, ok && (age > webhook.DefaultTolerance || age < -webhook.DefaultTolerance)
}

func (o *replayOptions) bulk(cmd *cobra.Command, g *globals) error {
	f, err := o.ff.filter()
	if err != nil {
		return err
	}
	f.Missed = o.missed
	if !o.missed && o.ff.since == "" && o.ff.status == "" && o.ff.outcome == "" && o.ff.method == "" && o.ff.text == "" {
		return usagef("give an ID, --missed, or a filter such as --since 1h or --status 5xx")
	}
	if o.edit || o.to != "" {
		return usagef("--edit and --to work on one delivery: give its ID")
	}
	if o.parallel < 1 || o.parallel > api.MaxParallel {
		return usagef("--parallel must be from 1 to %d", api.MaxParallel)
	}
	c, err := g.apiClient()
	if err != nil {
		return err
	}
	sum := bulkSummary{resign: o.resign}
	bar := cli.IsTerminal(g.stderr) && !g.json
	err = c.BulkReplay(cmd.Context(), f, api.BulkOptions{Resign: o.resign, Parallel: o.parallel}, func(r api.ReplayResult) {
		sum.add(r)
		if g.json {
			_ = writeJSON(g.stdout, r)
		} else if bar {
			progressBar(g.stderr, r.Done, r.Total)
		}
	})
	if err != nil {
		return err
	}
	if !g.json {
		sum.print(g.stdout)
	}
	sum.warn(g.stderr)
	return sum.err()
}

type bulkSummary struct {
	total, ok int
	failed    []string
	resign    bool
	stale     int // replays that carried a signature past its tolerance
}

func (s *bulkSummary) add(r api.ReplayResult) {
	s.total++
	if _, _, old := staleOf(r.Record); old && !s.resign {
		s.stale++
	}
	if r.Error == "" && r.Record != nil && accepted(r.Record) {
		s.ok++
		return
	}
	why := r.Error
	if why == "" && r.Record != nil {
		why = answer(r.Record)
	}
	s.failed = append(s.failed, r.Original+" ("+why+")")
}

func (s *bulkSummary) print(w io.Writer) {
	if s.total == 0 {
		fmt.Fprintln(w, "Nothing to replay.")
		return
	}
	fmt.Fprintf(w, "Replayed %s: %d ok, %d failed\n", deliveries(s.total), s.ok, len(s.failed))
	for _, f := range s.failed {
		fmt.Fprintf(w, "  failed: %s\n", f)
	}
}

// err is the bulk replay's outcome: a partial failure when any replay failed.
func (s *bulkSummary) err() error {
	if len(s.failed) == 0 {
		return nil
	}
	return cli.Partial(fmt.Errorf("%d of %s failed", len(s.failed), replays(s.total)))
}

// replays counts replays in words.
func replays(n int) string {
	if n == 1 {
		return "1 replay"
	}
	return fmt.Sprintf("%d replays", n)
}

// progressBar redraws a one-line bar; only on a terminal (see bulk).
func progressBar(w io.Writer, done, total int) {
	const width = 30
	n := width * done / max(total, 1)
	fmt.Fprintf(w, "\rreplaying [%s%s] %d/%d", strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
	if done == total {
		fmt.Fprintln(w)
	}
}

// headerMap turns recorded header pairs into an http.Header, names as recorded.
func headerMap(pairs [][2]string) http.Header {
	h := make(http.Header, len(pairs))
	for _, p := range pairs {
		h[p[0]] = append(h[p[0]], p[1])
	}
	return h
}

// accepted reports whether the app took a replay: it answered, with a 1xx, 2xx or 3xx.
func accepted(r *api.Record) bool {
	return r.Outcome == store.OutcomeOK && r.Status < 400
}

// answer says how a replay ended: "the app answered 400 Bad Request", or the relay's
// outcome and error code when the app did not answer, e.g. "refused (local_unreachable)".
func answer(r *api.Record) string {
	if r.Outcome == store.OutcomeOK {
		return fmt.Sprintf("the app answered %d %s", r.Status, http.StatusText(r.Status))
	}
	s := string(r.Outcome)
	if r.ErrorCode != "" {
		s += " (" + r.ErrorCode + ")"
	}
	return s
}

// deliveries counts deliveries in words: "1 delivery", "3 deliveries".
func deliveries(n int) string {
	if n == 1 {
		return "1 delivery"
	}
	return fmt.Sprintf("%d deliveries", n)
}

func staleOf(rec *api.Record) (string, time.Duration, bool) {
	if rec == nil {
		return "", 0, false
	}
	return staleSignature(rec)
}

// warn tells the user when replays went out with signatures the app likely rejects.
func (s *bulkSummary) warn(w io.Writer) {
	if s.stale > 0 {
		fmt.Fprintf(w, "warning: %s carried a signature over 5 minutes old; apps checking the tolerance reject them (use --resign)\n",
			deliveries(s.stale))
	}
}
