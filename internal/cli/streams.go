package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"kaji.dev/kaji/internal/secrets"
)

// Streams are the command's standard streams. Interactive says whether a person is at a
// terminal to answer questions; Terminal, whether stdout is a terminal, which gets colour and
// a live progress view.
//
// Secrets holds the secret values of the run (resolved references, decrypted files): Main and
// Run pass Out and Err through it, so that none of its values is printed. When it is nil, the
// run makes its own; a caller that sets it can add values before the run.
type Streams struct {
	In          io.Reader
	Out, Err    io.Writer
	Interactive bool
	Terminal    bool
	Secrets     *secrets.Registry
}

// StdStreams returns the process's streams, with an empty registry of secrets.
func StdStreams() Streams {
	return Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd())),
		Terminal:    term.IsTerminal(int(os.Stdout.Fd())),
		Secrets:     secrets.NewRegistry(),
	}
}

// redacting returns the streams with Out and Err passing through the run's registry of
// secrets (made here when there is none), and flush, which passes on what they hold back
// while it could be the start of a secret: call it when the run has printed its last word.
func (s Streams) redacting() (redacted Streams, flush func()) {
	if s.Secrets == nil {
		s.Secrets = secrets.NewRegistry()
	}
	out, errOut := secrets.NewWriter(s.Out, s.Secrets), secrets.NewWriter(s.Err, s.Secrets)
	s.Out, s.Err = out, errOut
	return s, func() {
		// Nothing is left to report a failure of the streams to.
		_ = out.Flush()
		_ = errOut.Flush()
	}
}

// color says whether to colour output: on a terminal, unless NO_COLOR is set to anything
// (https://no-color.org).
func (s Streams) color() bool {
	return s.Terminal && os.Getenv("NO_COLOR") == ""
}

// confirm asks a yes/no question on w and reads the answer from In. Only "y" or "yes" is a yes.
// An interrupt (ctx done) while it waits is an error: nothing was changed.
func (s Streams) confirm(ctx context.Context, w io.Writer, question string) (bool, error) {
	fmt.Fprintf(w, "%s [y/N]: ", question)
	type answer struct {
		line string
		err  error
	}
	read := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(s.In).ReadString('\n')
		read <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-read:
	case <-ctx.Done():
		fmt.Fprintln(w)
		return false, fmt.Errorf("interrupted at the question, nothing was changed: %w", context.Cause(ctx))
	}
	if a.err != nil && a.err != io.EOF {
		return false, fmt.Errorf("read answer: %w", a.err)
	}
	switch strings.ToLower(strings.TrimSpace(a.line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
