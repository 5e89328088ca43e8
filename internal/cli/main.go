// Package cli holds kaji's commands. Each command parses its flags, calls the library and
// prints what it returns; the work itself is done elsewhere.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kaji.dev/kaji/internal/doctor"
)

// Exit codes. Every error exits 1, a mistake in how kaji was called included, so that 2
// keeps the one meaning `kaji plan --detailed-exitcode` gives it: there are changes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // kaji plan --detailed-exitcode: apply has something to do
)

// UsageError is a mistake in how kaji was called.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCoder lets an error choose the exit code.
type ExitCoder interface{ ExitCode() int }

// Main runs kaji with args and returns the process exit code.
func Main(ctx context.Context, args []string, streams Streams) int {
	streams, flush := streams.redacting()
	defer flush()
	return run(ctx, args, streams, newInflight())
}

// run runs kaji on streams that redact the run's secrets (see Streams.redacting).
func run(ctx context.Context, args []string, streams Streams, tr *inflight) int {
	root := newRoot(streams, tr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var silent *silentError
	if !errors.As(err, &silent) {
		fmt.Fprintf(streams.Err, "error: %v\n", err)
		if h := doctor.Hint(err); h != "" && !strings.Contains(err.Error(), h) {
			fmt.Fprintln(streams.Err, h)
		}
	}
	var usage *UsageError
	var coder ExitCoder
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(streams.Err, "run 'kaji --help' for usage")
		return ExitError
	case errors.As(err, &coder):
		return coder.ExitCode()
	}
	return ExitError
}

// silentError carries an exit code for a failure that was already reported.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
func (e *silentError) ExitCode() int { return e.code }
