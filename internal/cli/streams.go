package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Streams are the command's standard streams. Interactive says whether a person is at a
// terminal to answer questions; Terminal, whether stdout is a terminal, which gets colour and
// a live progress view.
type Streams struct {
	In          io.Reader
	Out, Err    io.Writer
	Interactive bool
	Terminal    bool
}

// StdStreams returns the process's streams.
func StdStreams() Streams {
	return Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd())),
		Terminal:    term.IsTerminal(int(os.Stdout.Fd())),
	}
}

// color says whether to colour output: on a terminal, unless NO_COLOR is set to anything
// (https://no-color.org).
func (s Streams) color() bool {
	return s.Terminal && os.Getenv("NO_COLOR") == ""
}

// confirm asks a yes/no question on w and reads the answer from In. Only "y" or "yes" is a yes.
func (s Streams) confirm(w io.Writer, question string) (bool, error) {
	fmt.Fprintf(w, "%s [y/N]: ", question)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
