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
// terminal to answer questions.
type Streams struct {
	In          io.Reader
	Out, Err    io.Writer
	Interactive bool
}

// StdStreams returns the process's streams.
func StdStreams() Streams {
	return Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd())),
	}
}

// confirm asks a yes/no question. Only "y" or "yes" is a yes.
func (s Streams) confirm(question string) (bool, error) {
	fmt.Fprintf(s.Out, "%s [y/N]: ", question)
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
