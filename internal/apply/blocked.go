package apply

import (
	"errors"
	"fmt"
	"strings"
)

// BlockedError fails a release that apply may not touch: a pending operation keeps it, or it is
// not the project's and adopting it was not asked for.
type BlockedError struct {
	Name, Namespace string
	Reason          error
	// Pending is set when an unfinished operation keeps the release; Uninstalling when that
	// operation is an uninstall.
	Pending, Uninstalling bool
}

func (e *BlockedError) Error() string { return e.Reason.Error() }
func (e *BlockedError) Unwrap() error { return e.Reason }

// PendingRunError ends a run in which pending releases kept apply from converging: running it
// again changes nothing until they are recovered.
type PendingRunError struct {
	Blocked []*BlockedError
	Run     error
}

func (e *PendingRunError) Error() string {
	names := make([]string, len(e.Blocked))
	var fixes []string
	for i, b := range e.Blocked {
		names[i] = b.Name
		if b.Uninstalling {
			fixes = append(fixes, fmt.Sprintf("`helm uninstall %s -n %s`", b.Name, b.Namespace))
		} else {
			fixes = append(fixes, fmt.Sprintf("`kaji unlock %s`", b.Name))
		}
	}
	counts := e.Run.Error()
	var re *RunError
	if errors.As(e.Run, &re) {
		counts = fmt.Sprintf("%d release(s) failed, %d skipped", re.Failed, re.Skipped)
	}
	return fmt.Sprintf("%s: apply cannot change a release left pending by an operation that did not finish (%s), "+
		"and running it again will not help; if nothing is working on it any more, run %s, then `kaji apply` again",
		counts, strings.Join(names, ", "), strings.Join(fixes, ", then "))
}

func (e *PendingRunError) Unwrap() error { return e.Run }

// pendingFirst turns a run's error into a *PendingRunError when pending releases failed in it.
func pendingFirst(sum *Summary, err error) error {
	if sum == nil || err == nil {
		return err
	}
	var blocked []*BlockedError
	for _, o := range sum.Outcomes {
		var b *BlockedError
		if errors.As(o.Err, &b) && b.Pending {
			blocked = append(blocked, b)
		}
	}
	if len(blocked) == 0 {
		return err
	}
	return &PendingRunError{Blocked: blocked, Run: err}
}
