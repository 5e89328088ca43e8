// Package view renders plans: a table and diffs for people, JSON for programs. The plan
// package computes; this package only formats.
package view

import (
	"fmt"
	"io"
	"strings"
	"time"

	"kaji.dev/kaji/internal/plan"
)

// TextOptions change how a plan looks.
type TextOptions struct {
	// Color uses ANSI colours: for a terminal, and never when NO_COLOR is set.
	Color bool
	// ShowSecrets shows the values of Secrets instead of their sizes.
	ShowSecrets bool
	// Context is how many unchanged lines surround each change in a diff. Zero means 3.
	Context int
}

// Text writes a plan for people: a table of releases, the object changes of each release
// that apply would touch, and a summary line.
func Text(w io.Writer, p *plan.Plan, opts TextOptions) error {
	if opts.Context == 0 {
		opts.Context = 3
	}
	pt := painter(opts.Color)
	var b strings.Builder
	if len(p.Releases) == 0 {
		b.WriteString("kaji.yaml declares no releases.\n")
	} else {
		t := &table{}
		t.add(cell{"RELEASE", bold}, cell{"NAMESPACE", bold}, cell{"CHART", bold}, cell{"STATE", bold}, cell{"REASON", bold})
		for _, r := range p.Releases {
			t.add(plain(r.Name), plain(r.Namespace), plain(chartOf(r)), cell{string(r.State), stateColor(r)}, plain(reasonOf(r, p.Time)))
		}
		if err := t.write(&b, pt); err != nil {
			return err
		}
	}
	for _, r := range p.Releases {
		writeRelease(&b, r, opts, pt)
	}
	if h := p.Lock; h != nil {
		state := "a kaji run is changing the project now"
		if h.Expired {
			// The renew time is on the holder's clock: it only looks stale from here. The next
			// apply watches the lock for a whole lease before it takes it over.
			state = fmt.Sprintf("renewed %s ago by its clock, longer than its lease: that run looks stopped without releasing it; "+
				"the next apply takes it over once it sees it unrenewed for a whole lease", p.Time.Sub(h.Renewed).Round(time.Second))
		}
		fmt.Fprintf(&b, "\n%s held by %s (%s)\n", pt.paint(yellow, "lock:"), h, state)
	}
	if len(p.Warnings) > 0 {
		b.WriteString("\n")
		for _, w := range p.Warnings {
			fmt.Fprintf(&b, "%s %s\n", pt.paint(yellow, "warning:"), w)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", Footer(p))
	_, err := io.WriteString(w, b.String())
	return err
}

// Footer sums a plan up in one line: "Plan: 2 to install, 1 to upgrade, 1 drifted, 0 to
// uninstall, 12 in sync." Adoptions without a new revision are counted when there are any:
// "2 to adopt (no new revision)".
func Footer(p *plan.Plan) string {
	s := p.Summary()
	adopted, notOurs := 0, 0
	for _, r := range p.Releases {
		switch {
		case r.State == plan.StateUnmanaged && r.Action == plan.ActionUpgrade:
			adopted++
		case r.State == plan.StateUnmanaged && r.Action != plan.ActionAdopt:
			notOurs++
		}
	}
	parts := []string{
		fmt.Sprintf("%d to install", s[plan.StateInstall]),
		fmt.Sprintf("%d to upgrade", s[plan.StateUpgrade]+s[plan.StateFailed]+adopted),
	}
	if n := p.Adopted(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d to adopt (no new revision)", n))
	}
	parts = append(parts,
		fmt.Sprintf("%d drifted", s[plan.StateDrifted]),
		fmt.Sprintf("%d to uninstall", len(p.Pruned())),
		fmt.Sprintf("%d in sync", s[plan.StateInSync]),
	)
	if n := s[plan.StatePending]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d pending", n))
	}
	if notOurs > 0 {
		parts = append(parts, fmt.Sprintf("%d not this project's (left alone without --adopt)", notOurs))
	}
	if n := refused(p); n > 0 {
		parts = append(parts, fmt.Sprintf("%d refused (%s)", n, refusedWhy(p)))
	}
	if n := s[plan.StateOrphan] - len(p.Pruned()); n > 0 {
		parts = append(parts, fmt.Sprintf("%d orphaned (kept without --prune)", n))
	}
	errs := 0
	if err, ok := p.Err().(*plan.Error); ok {
		errs = len(err.Errs)
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d error(s)", errs))
	}
	return "Plan: " + strings.Join(parts, ", ") + "."
}

func chartOf(r plan.Release) string {
	switch {
	case r.Chart != "":
		return r.Chart + " " + r.Version
	case r.Current != nil && r.Current.Chart != "":
		return r.Current.Chart + " " + r.Current.Version
	}
	return "-"
}

// reasonOf is the release's reason, with its age when it is pending (or left pending by a
// stopped run, which apply recovers).
func reasonOf(r plan.Release, now time.Time) string {
	reason := r.Reason
	if r.Err != nil {
		reason = "error: " + firstLine(r.Err.Error())
	}
	if (r.State == plan.StatePending || r.Recover) && r.Current != nil && !r.Current.Updated.IsZero() {
		reason += fmt.Sprintf(" (for %s)", Age(now.Sub(r.Current.Updated)))
	}
	switch n := len(r.Ignored); {
	case n == 1:
		reason += "; 1 field ignored"
	case n > 1:
		reason += fmt.Sprintf("; %d fields ignored", n)
	}
	return reason
}

func stateColor(r plan.Release) string {
	switch {
	case r.Err != nil, r.Action == plan.ActionRefused:
		return red
	case r.State == plan.StateInSync:
		return green
	case r.State == plan.StateInstall:
		return green + bold
	case r.State == plan.StatePending, r.State == plan.StateFailed:
		return red
	case r.State == plan.StateOrphan:
		return faint
	}
	return yellow
}

// Age formats a duration as kubectl does: 45s, 12m, 5h, 3d.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// refusedWhy says why apply refuses releases: conflicts with other field managers, settings
// that upgrades drop, or both.
func refusedWhy(p *plan.Plan) string {
	conflicts, dropped := false, false
	for _, r := range p.Releases {
		if r.Action == plan.ActionRefused {
			conflicts = conflicts || len(r.Refused()) > 0
			dropped = dropped || len(r.Unaccepted()) > 0
		}
	}
	switch {
	case conflicts && dropped:
		return "conflicts with other field managers, settings that upgrades drop"
	case dropped:
		return "settings that upgrades drop"
	}
	return "conflicts with other field managers"
}

func refused(p *plan.Plan) int {
	n := 0
	for _, r := range p.Releases {
		if r.Action == plan.ActionRefused {
			n++
		}
	}
	return n
}
