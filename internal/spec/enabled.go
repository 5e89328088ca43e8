package spec

import (
	"fmt"
)

// switched says whether a release is left out of an environment, and why.
type switched struct {
	off bool
	// reason says which enabled: false leaves it out, with its file:line; empty when on.
	reason string
	// byEnv says that the environment's override decides, not the release's own enabled.
	byEnv bool
}

// enabledIn decides whether release i is in environment env, whose override of it is o: the
// override's enabled wins over the release's own, and a release is enabled unless one says
// false.
func (d *Document) enabledIn(i int, env string, o ReleaseOverride) switched {
	r := d.File.Releases[i]
	switch {
	case o.Enabled != nil && *o.Enabled:
		return switched{}
	case o.Enabled != nil:
		at := path{"environments", env, "releases", r.Name, "enabled"}
		return switched{off: true, byEnv: true,
			reason: fmt.Sprintf("disabled in environment %q (%s at %s)", env, at, d.Pos(at...))}
	case r.Enabled != nil && !*r.Enabled:
		at := path{"releases", i, "enabled"}
		reason := fmt.Sprintf("disabled (enabled: false at %s)", d.Pos(at...))
		if env != "" {
			reason += fmt.Sprintf(", and environment %q does not enable it", env)
		}
		return switched{off: true, reason: reason}
	}
	return switched{}
}

// checkNeedsEnabled reports every need of an enabled release that names a release that
// environment env leaves out: apply would install the release without what it needs.
func (d *Document) checkNeedsEnabled(env string, off map[string]switched) Problems {
	var ps Problems
	for i, r := range d.File.Releases {
		if off[r.Name].off {
			continue
		}
		for j, need := range r.Needs {
			s := off[need]
			if !s.off {
				continue
			}
			at := path{"releases", i, "needs", j}
			ps = append(ps, Problem{
				Pos:     d.Pos(at...),
				Path:    at.String(),
				Message: fmt.Sprintf("release %q needs %q, which is %s", r.Name, need, s.reason),
				Hint:    needsFix(env, r.Name, need, s),
			})
		}
	}
	return ps
}

// needsFix says how to mend a need of release name on release need, which s leaves out.
func needsFix(env, name, need string, s switched) string {
	var enable, leaveOut string
	switch {
	case env == "":
		enable = fmt.Sprintf("set enabled: true on %q", need)
		leaveOut = fmt.Sprintf("set enabled: false on %q too", name)
	case s.byEnv:
		enable = fmt.Sprintf("set environments.%s.releases.%s.enabled: true", env, need)
		leaveOut = fmt.Sprintf("leave %q out of %s too (environments.%s.releases.%s.enabled: false)", name, env, env, name)
	default:
		enable = fmt.Sprintf("enable it in %s (environments.%s.releases.%s.enabled: true)", env, env, need)
		leaveOut = fmt.Sprintf("leave %q out of %s too (environments.%s.releases.%s.enabled: false)", name, env, env, name)
	}
	return fmt.Sprintf("%s, %s, or remove %q from needs", enable, leaveOut, need)
}
