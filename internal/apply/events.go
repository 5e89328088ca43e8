// Package apply brings a cluster to what kaji.yaml declares: it installs or upgrades releases in
// needs order, and uninstalls them in reverse order. It returns typed results and reports
// progress as typed events; it never prints.
package apply

import (
	"time"

	"kaji.dev/kaji/internal/release"
)

// EventKind says what happened to a release.
type EventKind string

const (
	Started   EventKind = "started"
	Succeeded EventKind = "succeeded"
	Failed    EventKind = "failed"
	Skipped   EventKind = "skipped"
)

// Event reports progress on one release.
type Event struct {
	Kind      EventKind
	Release   string
	Namespace string
	Time      time.Time
	// Elapsed is set on Succeeded and Failed.
	Elapsed time.Duration
	// Result is set on Succeeded.
	Result release.Result
	// Err is set on Failed.
	Err error
	// Reason says why a release was skipped.
	Reason string
}

// Observer receives events, in order, from the goroutine that runs the operation.
type Observer func(Event)

// Outcome is what became of one release.
type Outcome struct {
	Release   string
	Namespace string
	Result    release.Result
	Err       error
	// SkippedBecause is set when the release was not attempted.
	SkippedBecause string
	Elapsed        time.Duration
}

// Summary is the result of a whole run, one outcome per release in the order they were handled.
type Summary struct {
	Outcomes []Outcome
}

// Failed counts releases that failed.
func (s *Summary) Failed() int {
	n := 0
	for _, o := range s.Outcomes {
		if o.Err != nil {
			n++
		}
	}
	return n
}

// Unchanged counts releases that were in sync and left alone.
func (s *Summary) Unchanged() int {
	n := 0
	for _, o := range s.Outcomes {
		if o.Result.Action == release.Unchanged {
			n++
		}
	}
	return n
}

// Adopted counts releases that were taken over without a new revision.
func (s *Summary) Adopted() int {
	n := 0
	for _, o := range s.Outcomes {
		if o.Err == nil && o.Result.Action == release.Adopted {
			n++
		}
	}
	return n
}

// Skipped counts releases that were not attempted.
func (s *Summary) Skipped() int {
	n := 0
	for _, o := range s.Outcomes {
		if o.SkippedBecause != "" {
			n++
		}
	}
	return n
}
