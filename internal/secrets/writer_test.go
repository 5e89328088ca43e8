package secrets

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

// writeRecorder keeps each write it gets.
type writeRecorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *writeRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *writeRecorder) String() string { return strings.Join(r.writes, "") }

func writerRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry()
	for v, label := range map[string]string{
		"s3cr3t-Pa55w0rd":     "(secret: ref+awsssm://app/password)",
		"abcdefgh":            "(secret: A)",
		"efghijkl":            "(secret: B)",
		"multi-line\nsecret!": "(secret from certs.enc.yaml)",
	} {
		if err := r.Add(v, label); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// Texts as commands print them: lines, a prompt, a terminal's live view that redraws lines
// with ANSI escapes, a \r progress line, JSON events.
var writerTexts = []string{
	"password: s3cr3t-Pa55w0rd\nnext line\n",
	"Apply this plan? s3cr3t-Pa55w0rd [y/N]: ",
	"\x1b[1A\x1b[2K  ⠿ apps/web s3cr3t-Pa55w0rd running 1.2s\n\x1b[1A\x1b[2K  ✓ apps/web done\n",
	"\rprogress s3cr3t-Pa55w0rd 10%\rprogress s3cr3t-Pa55w0rd 20%\r\x1b[32mdone\x1b[0m\n",
	"{\"error\":\"value \\\"s3cr3t-Pa55w0rd\\\" invalid\"}\n{\"event\":\"summary\"}\n",
	"overlap [abcdefghijkl] and multi-line\nsecret! and s3cr3t-Pa55w0r", // ends with a prefix
	"\x1b[31m-abcdefgh\x1b[0m\n\x1b[32m+efghijkl\x1b[0m\n",
}

// However a text is cut into writes, what comes out is the text redacted as a whole.
func TestWriterSplitAtEveryOffset(t *testing.T) {
	r := writerRegistry(t)
	for _, text := range writerTexts {
		want := r.Redact(text)
		for i := 0; i <= len(text); i++ {
			for _, j := range []int{i, min(i+1, len(text)), min(i+7, len(text)), len(text)} {
				var out writeRecorder
				w := NewWriter(&out, r)
				for _, piece := range []string{text[:i], text[i:j], text[j:]} {
					if _, err := w.Write([]byte(piece)); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if got := out.String(); got != want {
					t.Fatalf("text %q cut at %d and %d:\n got %q\nwant %q", text, i, j, got, want)
				}
			}
		}
	}
}

// A write a byte at a time, the worst case for a secret cut in pieces.
func TestWriterByteAtATime(t *testing.T) {
	r := writerRegistry(t)
	for _, text := range writerTexts {
		var out writeRecorder
		w := NewWriter(&out, r)
		for i := range len(text) {
			if _, err := io.WriteString(w, text[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got, want := out.String(), r.Redact(text); got != want {
			t.Errorf("byte at a time:\n got %q\nwant %q", got, want)
		}
	}
}

// A frame of the live view, a line or a prompt goes on at once, in one write, without a
// Flush: the terminal shows it as it would without the Writer. Only an end that could begin
// a secret waits.
func TestWriterPassesSettledTextAtOnce(t *testing.T) {
	r := writerRegistry(t)
	for _, text := range []string{
		"\x1b[1A\x1b[2K  ⠿ apps/web running 1.2s\n",
		"\rprogress 10%",
		"Apply this plan? [y/N]: ",
		"password: s3cr3t-Pa55w0rd\n",
	} {
		var out writeRecorder
		w := NewWriter(&out, r)
		if _, err := w.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
		if len(out.writes) != 1 || out.writes[0] != r.Redact(text) {
			t.Errorf("%q came out as %q, want one write of %q", text, out.writes, r.Redact(text))
		}
	}

	var out writeRecorder
	w := NewWriter(&out, r)
	_, _ = w.Write([]byte("password: s3cr3t-"))
	if got := out.String(); got != "password: " {
		t.Errorf("a possible start of a secret was passed on: %q", got)
	}
	_, _ = w.Write([]byte("x\n"))
	if got := out.String(); got != "password: s3cr3t-x\n" {
		t.Errorf("after the end that was not a secret: %q", got)
	}
}

// What the Writer held back comes out on Flush and Close, on every way out of a command.
func TestWriterFlushesHeldText(t *testing.T) {
	r := writerRegistry(t)
	for _, end := range []func(*Writer) error{(*Writer).Flush, (*Writer).Close} {
		var out writeRecorder
		w := NewWriter(&out, r)
		_, _ = w.Write([]byte("error: value s3cr3t-Pa55"))
		if err := end(w); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "error: value s3cr3t-Pa55" {
			t.Errorf("after Flush or Close: %q", got)
		}
		if err := end(w); err != nil || out.String() != "error: value s3cr3t-Pa55" {
			t.Errorf("a second Flush wrote again: %q, %v", out.String(), err)
		}
	}
}

// With nothing registered, every write goes on as it is, in as many writes.
func TestWriterEmptyRegistryPassesThrough(t *testing.T) {
	for _, r := range []*Registry{nil, NewRegistry()} {
		var out writeRecorder
		w := NewWriter(&out, r)
		for _, text := range writerTexts {
			if n, err := w.Write([]byte(text)); n != len(text) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if strings.Join(out.writes, "") != strings.Join(writerTexts, "") || len(out.writes) != len(writerTexts) {
			t.Errorf("writes changed: %q", out.writes)
		}
	}
}

// A secret added while a stream is being written is hidden from then on.
func TestWriterSecretAddedLater(t *testing.T) {
	r := NewRegistry()
	var out bytes.Buffer
	w := NewWriter(&out, r)
	_, _ = w.Write([]byte("before\n"))
	if err := r.Add("late-secret-value", "(secret: late)"); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("late-secret"))
	_, _ = w.Write([]byte("-value\n"))
	if got := out.String(); got != "before\n(secret: late)\n" {
		t.Errorf("got %q", got)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed pipe") }

func TestWriterReportsErrorsOfTheStreamUnderneath(t *testing.T) {
	w := NewWriter(failingWriter{}, writerRegistry(t))
	if _, err := w.Write([]byte("a line\n")); err == nil {
		t.Error("Write: no error from a failing stream")
	}
	_, _ = w.Write([]byte("s3cr3t"))
	if err := w.Flush(); err == nil {
		t.Error("Flush: no error from a failing stream")
	}
}

// Writes from several goroutines (progress lines and Helm's logs share stderr) keep whole
// writes whole, redacted.
func TestWriterConcurrentWrites(t *testing.T) {
	r := writerRegistry(t)
	var out writeRecorder
	w := NewWriter(&out, r)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				_, _ = w.Write([]byte("line with s3cr3t-Pa55w0rd in it\n"))
			}
		})
	}
	wg.Wait()
	_ = w.Flush()
	got := out.String()
	if strings.Contains(got, "s3cr3t") || strings.Count(got, "line with (secret: ref+awsssm://app/password) in it\n") != 16*50 {
		t.Errorf("concurrent writes came out wrong: %d bytes", len(got))
	}
}

func BenchmarkWriter(b *testing.B) {
	line := []byte("\x1b[1A\x1b[2K  ⠿ apps/web                                  running 1.2s\n")
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			_, _ = io.Discard.Write(line)
		}
	})
	b.Run("empty registry", func(b *testing.B) {
		w := NewWriter(io.Discard, NewRegistry())
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			_, _ = w.Write(line)
		}
	})
	b.Run("ten secrets", func(b *testing.B) {
		r := NewRegistry()
		for _, v := range []string{"s3cr3t-Pa55w0rd", "another-token-1234567890", "db-password-xyz", "-----BEGIN KEY-----\nMIIabc\n-----END KEY-----\n",
			"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "grafana-admin-pw", "slack-webhook-token-abc", "redis-pass-42", "ghp_abcdefghijklmnop"} {
			if err := r.Add(v, "(secret: x)"); err != nil {
				b.Fatal(err)
			}
		}
		w := NewWriter(io.Discard, r)
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			_, _ = w.Write(line)
		}
	})
}
