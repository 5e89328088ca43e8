package secrets

import (
	"io"
	"strings"
	"sync"
)

// Writer passes what is written to it on to another writer with the registered secrets
// replaced by their labels. A secret may come in pieces over several writes, so Writer holds
// back the end of what it was given while that end could be the start of a secret (of any of
// its forms), and only that: a line, a prompt without a newline, or a frame of a terminal's
// live view (lines rewritten with \r and ANSI escapes) goes on at once, in one write, and
// looks as it would without Writer. What it holds back is never longer than the longest form
// of a registered value; Flush or Close passes it on.
//
// With nothing registered, Writer passes writes on as they are. It is safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	out  io.Writer
	reg  *Registry
	held []byte
}

// NewWriter returns a Writer that writes to out, redacting the secrets of reg. Secrets
// added to reg later are redacted from then on.
func NewWriter(out io.Writer, reg *Registry) *Writer {
	return &Writer{out: out, reg: reg}
}

// Write redacts p and passes it on, except for an end that could be the start of a secret.
// It returns len(p) unless the writer underneath fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.reg.matcher()
	if m == nil && len(w.held) == 0 {
		return w.out.Write(p)
	}
	w.held = append(w.held, p...)
	if err := w.pass(m, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteString is Write for a string.
func (w *Writer) WriteString(s string) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.reg.matcher()
	if m == nil && len(w.held) == 0 {
		return io.WriteString(w.out, s)
	}
	w.held = append(w.held, s...)
	if err := w.pass(m, false); err != nil {
		return 0, err
	}
	return len(s), nil
}

// Flush passes on what Write held back, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.held) == 0 {
		return nil
	}
	return w.pass(w.reg.matcher(), true)
}

// Close flushes the writer. It does not close the writer underneath.
func (w *Writer) Close() error { return w.Flush() }

// pass writes out what of w.held is settled (all of it when final) and keeps the rest.
func (w *Writer) pass(m *formMatcher, final bool) error {
	s := string(w.held)
	if m == nil {
		w.held = w.held[:0]
		_, err := io.WriteString(w.out, s)
		return err
	}
	stop := len(s)
	if !final {
		stop = m.pending(s)
	}
	var b strings.Builder
	next := m.scan(&b, s, stop, final)
	w.held = append(w.held[:0], s[next:]...)
	if b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(w.out, b.String())
	return err
}
