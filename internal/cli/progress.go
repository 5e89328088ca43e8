package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/release"
)

// progress shows apply and destroy as they run. The runner emits typed events; a progress
// decides how they look.
type progress interface {
	observe(apply.Event)
	// summary ends the display with the outcome of the run.
	summary(*apply.Summary)
}

// newProgress picks the display: JSON lines for -o json, a live view on a terminal, and plain
// timestamped lines elsewhere (CI logs).
func newProgress(streams Streams, op, output string) progress {
	switch {
	case output == "json":
		return &jsonProgress{enc: json.NewEncoder(streams.Out), op: op}
	case streams.Terminal:
		return newLiveProgress(streams.Out, op)
	default:
		return &lineProgress{out: streams.Out, op: op, start: time.Now(), stamp: true}
	}
}

// lineProgress prints one line per event.
type lineProgress struct {
	mu    sync.Mutex
	out   io.Writer
	op    string
	start time.Time
	stamp bool
}

func (p *lineProgress) observe(e apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prefix := "  "
	if p.stamp {
		prefix = e.Time.UTC().Format("15:04:05") + " "
	}
	if line := eventLine(e); line != "" {
		fmt.Fprintln(p.out, prefix+line)
	}
}

func (p *lineProgress) summary(s *apply.Summary) {
	fmt.Fprintln(p.out, summaryLine(p.op, s, time.Since(p.start)))
}

func eventLine(e apply.Event) string {
	ref := e.Namespace + "/" + e.Release
	switch e.Kind {
	case apply.Started:
		return fmt.Sprintf("… %-40s started", ref)
	case apply.Succeeded:
		r := e.Result
		switch r.Action {
		case release.Absent:
			return fmt.Sprintf("- %-40s absent, nothing to uninstall", ref)
		case release.Uninstalled:
			return fmt.Sprintf("✓ %-40s uninstalled (%s)", ref, round(e.Elapsed))
		case release.Adopted:
			return fmt.Sprintf("✓ %-40s adopted %s-%s, revision %d, without a new revision (%s)", ref, r.Chart, r.Version, r.Revision, round(e.Elapsed))
		default:
			line := fmt.Sprintf("✓ %-40s %s %s-%s, revision %d (%s)", ref, r.Action, r.Chart, r.Version, r.Revision, round(e.Elapsed))
			if u := r.Recovered; u != nil {
				line += fmt.Sprintf("; recovered revision %d, left %s by a kaji run that stopped", u.Revision, u.Was)
			}
			return line
		}
	case apply.Failed:
		// One line per event, even for an error of several lines.
		return fmt.Sprintf("✗ %-40s failed (%s): %s", ref, round(e.Elapsed), oneLine(e.Err.Error()))
	case apply.Skipped:
		return fmt.Sprintf("- %-40s skipped: %s", ref, oneLine(e.Reason))
	}
	return ""
}

// oneLine joins the lines of s with "; ".
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

func summaryLine(op string, s *apply.Summary, took time.Duration) string {
	ok := len(s.Outcomes) - s.Failed() - s.Skipped() - s.Unchanged()
	line := fmt.Sprintf("%s: %d done", op, ok)
	if n := s.Adopted(); n > 0 {
		line += fmt.Sprintf(" (%d adopted without a new revision)", n)
	}
	line += fmt.Sprintf(", %d failed, %d skipped", s.Failed(), s.Skipped())
	if n := s.Unchanged(); n > 0 {
		line += fmt.Sprintf(", %d unchanged", n)
	}
	return line + " in " + round(took).String()
}

// liveProgress keeps one line per running release, with its elapsed time, under the lines of
// the releases that ended.
type liveProgress struct {
	mu      sync.Mutex
	out     io.Writer
	op      string
	start   time.Time
	running map[string]time.Time // namespace/name → start
	drawn   int                  // live lines on screen
	stop    chan struct{}
	stopped sync.Once
}

func newLiveProgress(out io.Writer, op string) *liveProgress {
	p := &liveProgress{out: out, op: op, start: time.Now(), running: map[string]time.Time{}, stop: make(chan struct{})}
	go p.tick()
	return p
}

func (p *liveProgress) tick() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw("")
			p.mu.Unlock()
		}
	}
}

func (p *liveProgress) observe(e apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ref := e.Namespace + "/" + e.Release
	if e.Kind == apply.Started {
		p.running[ref] = e.Time
		p.redraw("")
		return
	}
	delete(p.running, ref)
	p.redraw("  " + eventLine(e))
}

// redraw clears the live lines, prints done (if any) for good, and draws the live lines again.
func (p *liveProgress) redraw(done string) {
	var b strings.Builder
	for range p.drawn {
		b.WriteString("\x1b[1A\x1b[2K")
	}
	if done != "" {
		b.WriteString(done + "\n")
	}
	refs := make([]string, 0, len(p.running))
	for ref := range p.running {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		fmt.Fprintf(&b, "  ⠿ %-40s running %s\n", ref, time.Since(p.running[ref]).Truncate(100*time.Millisecond))
	}
	p.drawn = len(refs)
	io.WriteString(p.out, b.String())
}

func (p *liveProgress) summary(s *apply.Summary) {
	p.stopped.Do(func() { close(p.stop) })
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = map[string]time.Time{}
	p.redraw("")
	fmt.Fprintln(p.out, summaryLine(p.op, s, time.Since(p.start)))
}

// jsonProgress writes one JSON object per event and one for the summary.
type jsonProgress struct {
	mu  sync.Mutex
	enc *json.Encoder
	op  string
}

type jsonEvent struct {
	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	Operation string    `json:"operation"`
	Release   string    `json:"release,omitempty"`
	Namespace string    `json:"namespace,omitempty"`
	Action    string    `json:"action,omitempty"`
	Chart     string    `json:"chart,omitempty"`
	Version   string    `json:"version,omitempty"`
	Revision  int       `json:"revision,omitempty"`
	// Recovered is the pending revision, left by a kaji run that stopped, that was marked
	// failed before the operation.
	Recovered  int    `json:"recovered,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	Error      string `json:"error,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Done       *int   `json:"done,omitempty"`
	Failed     *int   `json:"failed,omitempty"`
	Skipped    *int   `json:"skipped,omitempty"`
}

func (p *jsonProgress) observe(e apply.Event) {
	je := jsonEvent{Time: e.Time.UTC(), Event: string(e.Kind), Operation: p.op, Release: e.Release, Namespace: e.Namespace,
		DurationMS: e.Elapsed.Milliseconds(), Reason: e.Reason}
	if e.Kind == apply.Succeeded {
		je.Action, je.Chart, je.Version, je.Revision = string(e.Result.Action), e.Result.Chart, e.Result.Version, e.Result.Revision
		if u := e.Result.Recovered; u != nil {
			je.Recovered = u.Revision
		}
	}
	if e.Err != nil {
		je.Error = e.Err.Error()
	}
	p.write(je)
}

func (p *jsonProgress) summary(s *apply.Summary) {
	done, failed, skipped := len(s.Outcomes)-s.Failed()-s.Skipped()-s.Unchanged(), s.Failed(), s.Skipped()
	p.write(jsonEvent{Time: time.Now().UTC(), Event: "summary", Operation: p.op, Done: &done, Failed: &failed, Skipped: &skipped})
}

func (p *jsonProgress) write(e jsonEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.enc.Encode(e) // a closed stdout has nowhere to report to
}
