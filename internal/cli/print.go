package cli

import (
	"fmt"
	"io"
	"time"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/release"
)

// eventPrinter prints apply and destroy progress as plain lines.
type eventPrinter struct {
	out   io.Writer
	op    string
	start time.Time
}

func newEventPrinter(out io.Writer, op string) *eventPrinter {
	return &eventPrinter{out: out, op: op, start: time.Now()}
}

func fmtHeader(out io.Writer, op string, s *session) {
	env := ""
	if s.resolved.Environment != "" {
		env = fmt.Sprintf(", environment %s", s.resolved.Environment)
	}
	fmt.Fprintf(out, "kaji %s: project %s%s, context %s (%s), %d release(s)\n",
		op, s.resolved.Project, env, s.conn.Context(), s.conn.Host(), len(s.resolved.Releases))
}

func (p *eventPrinter) observe(e apply.Event) {
	ref := e.Namespace + "/" + e.Release
	switch e.Kind {
	case apply.Started:
		// Sequential runs print one line per release, when it ends.
	case apply.Succeeded:
		r := e.Result
		switch r.Action {
		case release.Absent:
			fmt.Fprintf(p.out, "  - %-40s absent, nothing to uninstall\n", ref)
		case release.Uninstalled:
			fmt.Fprintf(p.out, "  ✓ %-40s uninstalled (%s)\n", ref, round(e.Elapsed))
		default:
			fmt.Fprintf(p.out, "  ✓ %-40s %s %s-%s, revision %d (%s)\n", ref, r.Action, r.Chart, r.Version, r.Revision, round(e.Elapsed))
		}
	case apply.Failed:
		fmt.Fprintf(p.out, "  ✗ %-40s failed (%s): %v\n", ref, round(e.Elapsed), e.Err)
	case apply.Skipped:
		fmt.Fprintf(p.out, "  - %-40s skipped: %s\n", ref, e.Reason)
	}
}

func (p *eventPrinter) summary(s *apply.Summary) {
	ok := len(s.Outcomes) - s.Failed() - s.Skipped()
	fmt.Fprintf(p.out, "%s: %d done, %d failed, %d skipped in %s\n", p.op, ok, s.Failed(), s.Skipped(), round(time.Since(p.start)))
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
