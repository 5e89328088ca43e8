package cli

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"kaji.dev/kaji/internal/apply"
)

// Plain progress is one timestamped line per event, so that a CI log can be read and grepped
// line by line, even when an error or a reason has several lines.
func TestPlainProgressKeepsEachEventOnOneLine(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(Streams{Out: &out}, "apply", "text")
	at := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	p.observe(apply.Event{Kind: apply.Failed, Release: "web", Namespace: "apps", Time: at, Elapsed: 1500 * time.Millisecond,
		Err: errors.New("upgrade apps/web: 2 errors occurred:\n\t* Deployment.apps \"web\" is invalid\n\t* Service \"web\" is invalid\n")})
	p.observe(apply.Event{Kind: apply.Skipped, Release: "api", Namespace: "apps", Time: at, Reason: "needs web, which failed:\nsee above"})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines for 2 events:\n%s", len(lines), out.String())
	}
	stamped := regexp.MustCompile(`^09:30:00 [✗-] apps/`)
	for _, l := range lines {
		if !stamped.MatchString(l) {
			t.Errorf("line without its timestamp and release: %q", l)
		}
	}
	if want := `upgrade apps/web: 2 errors occurred:; 	* Deployment.apps "web" is invalid; 	* Service "web" is invalid`; !strings.HasSuffix(lines[0], want) {
		t.Errorf("failed line %q, want it to end with %q", lines[0], want)
	}
	if want := "skipped: needs web, which failed:; see above"; !strings.HasSuffix(lines[1], want) {
		t.Errorf("skipped line %q, want it to end with %q", lines[1], want)
	}
}
