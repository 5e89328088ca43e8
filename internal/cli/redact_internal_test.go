package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/secrets"
)

const internalSecret = "hunter2-internal-secret"

func redactingBuffers(t *testing.T) (Streams, *bytes.Buffer, *bytes.Buffer, func()) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams, flush := Streams{In: strings.NewReader("y\n"), Out: &out, Err: &errOut}.redacting()
	if streams.Secrets == nil {
		t.Fatal("redacting made no registry")
	}
	s := &session{secrets: streams.Secrets}
	if err := s.addSecret(internalSecret, secrets.LabelRef("ref+awssecrets://app#/password")); err != nil {
		t.Fatal(err)
	}
	return streams, &out, &errOut, flush
}

// Helm's logs, at every level -v and -vv show, go through the run's registry.
func TestHelmLogsAreRedacted(t *testing.T) {
	streams, _, errOut, flush := redactingBuffers(t)
	g := &globalFlags{verbosity: 2}
	log := slog.New(g.logHandler(streams))
	log.Debug("rendered values", "values", map[string]string{"password": internalSecret}, "quoted", internalSecret+` "x"`)
	log.Info("installing", "note", "password is "+internalSecret)
	flush()
	got := errOut.String()
	if strings.Contains(got, "hunter2") || strings.Count(got, "(secret: ref+awssecrets://app#/password)") != 3 {
		t.Errorf("Helm's logs:\n%s", got)
	}
}

// A question is shown before the answer is read, although the streams hold back what could
// begin a secret; the secret in it is hidden.
func TestQuestionIsShownAtOnce(t *testing.T) {
	streams, _, errOut, flush := redactingBuffers(t)
	defer flush()
	ok, err := streams.confirm(context.Background(), streams.Err, "Apply "+internalSecret+"?")
	if err != nil || !ok {
		t.Fatalf("confirm = %v, %v", ok, err)
	}
	if got, want := errOut.String(), "Apply (secret: ref+awssecrets://app#/password)? [y/N]: "; got != want {
		t.Errorf("question shown as %q before any flush, want %q", got, want)
	}
}

// Main flushes what its streams hold back, on the way out of a failed run too.
func TestMainFlushesOnError(t *testing.T) {
	reg := secrets.NewRegistry()
	// A secret that begins as the error ends: the end of the error is held back while it
	// could be the start of the secret, until the run ends.
	if err := reg.Add(">)\nthe rest of a secret", "(secret: x)"); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"plan", "-f", "/nonexistent/kaji.yaml"}, Streams{Out: &out, Err: &errOut, Secrets: reg})
	if want := "or pass -f <path>)\n"; code != ExitError || !strings.HasSuffix(errOut.String(), want) {
		t.Errorf("exit %d, stderr %q: want the whole error, ending with %q", code, errOut.String(), want)
	}
}
