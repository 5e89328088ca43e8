package doctor

import (
	"context"
	"fmt"
)

// Check is one named link of the chain. Run reads what earlier checks learned from the
// State and records what it learns for later ones.
type Check struct {
	Name  string
	Title string
	Run   func(ctx context.Context, s *State) Finding
}

// Registry is an ordered set of named checks.
type Registry struct {
	checks []Check
}

// NewRegistry returns a registry of checks, run in the order given. Names must be unique.
func NewRegistry(checks ...Check) (*Registry, error) {
	seen := map[string]bool{}
	for _, c := range checks {
		if c.Name == "" || c.Run == nil {
			return nil, fmt.Errorf("doctor check %q: a check needs a name and a Run function", c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("doctor check %q is registered twice", c.Name)
		}
		seen[c.Name] = true
	}
	return &Registry{checks: checks}, nil
}

// Names lists the checks in order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.checks))
	for i, c := range r.checks {
		out[i] = c.Name
	}
	return out
}

// Run runs every check in order and returns their findings. A check that panics is reported
// as failed rather than taking the others down.
func (r *Registry) Run(ctx context.Context, s *State) []Finding {
	out := make([]Finding, 0, len(r.checks))
	for _, c := range r.checks {
		f := runOne(ctx, c, s)
		f.Check, f.Title = c.Name, c.Title
		if f.Status == "" {
			f.Status = Unknown
		}
		s.done[c.Name] = f.Status
		out = append(out, f)
	}
	return out
}

func runOne(ctx context.Context, c Check, s *State) (f Finding) {
	defer func() {
		if p := recover(); p != nil {
			f = Finding{Status: Fail, Summary: fmt.Sprintf("the check crashed: %v", p),
				Fix: &Fix{Summary: "this is a bug in kaji doctor; please report it with the output of `kaji doctor -o json`"}}
		}
	}()
	if err := ctx.Err(); err != nil {
		return skipped("interrupted: " + err.Error())
	}
	return c.Run(ctx, s)
}
