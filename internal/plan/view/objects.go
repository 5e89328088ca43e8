package view

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/plan"
)

// writeRelease writes what apply would do to the objects of one release, if anything.
func writeRelease(b *strings.Builder, r plan.Release, opts TextOptions, p painter) {
	changed := 0
	for _, c := range r.Changes {
		if c.Action != plan.ChangeUnchanged || c.Err != nil {
			changed++
		}
	}
	if r.Err == nil && len(r.Warnings) == 0 && len(r.Dropped) == 0 && r.Action != plan.ActionRefused && r.Action != plan.ActionAdopt &&
		(!r.NeedsApply() || changed == 0 && r.State == plan.StateInSync) {
		return
	}
	fmt.Fprintf(b, "\n%s\n", p.paint(bold, releaseHeader(r)))
	if r.Err != nil {
		fmt.Fprintf(b, "  %s %s\n", p.paint(red, "! error:"), indentRest(r.Err.Error(), "    "))
	}
	for _, d := range r.Dropped {
		if d.Accepted {
			fmt.Fprintf(b, "  %s %s\n", p.paint(faint, "accepted:"), d.Message())
			continue
		}
		fmt.Fprintf(b, "  %s %s\n", p.paint(red, "! error:"), d.Message())
	}
	unchanged := 0
	for _, c := range r.Changes {
		if c.Action == plan.ChangeUnchanged && c.Err == nil {
			unchanged++
			continue
		}
		writeChange(b, r, c, opts, p)
	}
	if unchanged > 0 {
		fmt.Fprintf(b, "  %s\n", p.paint(faint, fmt.Sprintf("%d object(s) unchanged", unchanged)))
	}
	for _, h := range r.Hooks {
		fmt.Fprintf(b, "  hook %s %s runs %s (not dry-run)\n", h.Kind, h.Name, strings.Join(h.Events, " and "))
	}
	writeIgnored(b, r, p)
	for _, w := range r.Warnings {
		fmt.Fprintf(b, "  %s %s\n", p.paint(yellow, "warning:"), w)
	}
}

func releaseHeader(r plan.Release) string {
	h := fmt.Sprintf("%s %s (%s): ", symbol(r), r.Name, r.Namespace)
	if r.Err != nil {
		return h + "cannot be planned"
	}
	target := ""
	if r.Chart != "" {
		target = fmt.Sprintf(" %s %s, revision %d", r.Chart, r.Version, r.Revision)
	}
	if r.Action == plan.ActionRefused {
		var why []string
		if len(r.Refused()) > 0 {
			why = append(why, "other field managers own fields that apply would change")
		}
		if len(r.Unaccepted()) > 0 {
			why = append(why, fmt.Sprintf("the upgrade to %s %s drops settings of kaji.yaml", r.Chart, r.Version))
		}
		if len(why) == 0 {
			return h + "refused"
		}
		return h + "refused: " + strings.Join(why, ", and ")
	}
	switch r.State {
	case plan.StateInstall:
		h += "install" + target
	case plan.StateUpgrade:
		h += "upgrade to" + target
	case plan.StateDrifted:
		h += "upgrade to" + target + ", to repair drift"
	case plan.StateFailed:
		h += "upgrade to" + target + ", to replace the failed revision"
	case plan.StateUnmanaged:
		switch {
		case r.Action == plan.ActionBlocked:
			h += "left alone, not this project's (--adopt, or adopt: true in kaji.yaml, takes it over)"
		case r.Action == plan.ActionAdopt && r.Current != nil:
			h += fmt.Sprintf("adopt revision %d, without a new revision", r.Current.Number)
		default:
			h += "adopt and upgrade to" + target
		}
	default:
		h += string(r.State)
	}
	if r.ForceConflicts {
		h += " (forcing the fields that others changed)"
	}
	return h
}

func symbol(r plan.Release) string {
	switch {
	case r.Err != nil:
		return "!"
	case r.Action == plan.ActionInstall:
		return "+"
	case r.Action == plan.ActionUpgrade:
		return "~"
	case r.Action == plan.ActionAdopt:
		return "^"
	case r.Action == plan.ActionRefused:
		return "x"
	}
	return "·"
}

func writeChange(b *strings.Builder, r plan.Release, c plan.ObjectChange, opts TextOptions, p painter) {
	name := c.Object.String()
	if c.Object.Namespace != "" {
		name += " (" + c.Object.Namespace + ")"
	}
	switch {
	case c.Err != nil:
		fmt.Fprintf(b, "  %s %s\n", p.paint(red, "! "+name+":"), indentRest(c.Err.Error(), "    "))
		return
	case c.Action == plan.ChangeCreate:
		line := "+ " + name
		if c.Missing {
			line += " (deleted from the cluster)"
		}
		fmt.Fprintf(b, "  %s\n", p.paint(green, line))
	case c.Action == plan.ChangeDelete:
		fmt.Fprintf(b, "  %s\n", p.paint(red, "- "+name))
	default:
		fmt.Fprintf(b, "  %s\n", p.paint(yellow, "~ "+name))
	}
	if c.Note != "" {
		fmt.Fprintf(b, "    %s\n", p.paint(faint, c.Note))
	}
	for _, f := range c.Drift {
		fmt.Fprintf(b, "    drifted: %s\n", driftText(c.Object, f, opts.ShowSecrets))
	}
	for _, conflict := range c.Conflicts {
		fmt.Fprintf(b, "    conflict: %s (%s)\n", conflict, verdict(r, conflict))
	}
	if c.Action == plan.ChangeDelete {
		return
	}
	if isCRD(c.Object) {
		writeCRD(b, c)
		return
	}
	live, planned := c.Live, c.Planned
	if opts.ShowSecrets {
		live, planned = decodeSecret(c.Object, live), decodeSecret(c.Object, planned)
	} else {
		live, planned = redactObjects(c.Object, live, planned)
	}
	b.WriteString(unified(toYAML(live), toYAML(planned), opts.Context, "    ", p))
}

// driftText is one drifted field: what the release applied and what is live.
func driftText(ref plan.ObjectRef, f plan.FieldChange, showSecrets bool) string {
	if f.Sensitive && !showSecrets {
		if f.Op == plan.FieldRemove {
			return fmt.Sprintf("%s: applied %s, gone from the live object", f.Path, size("data", f.Old))
		}
		return fmt.Sprintf("%s: applied %s, live %s (values hidden)", f.Path, size("data", f.Old), size("data", f.New))
	}
	if f.Op == plan.FieldRemove {
		return fmt.Sprintf("%s: applied %s, gone from the live object", f.Path, scalar(f.Old))
	}
	return fmt.Sprintf("%s: applied %s, live %s", f.Path, scalar(f.Old), scalar(f.New))
}

// scalar formats a value on one line, as YAML flow would.
func scalar(v any) string {
	out, err := marshalYAML(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSpace(out)
	if strings.Contains(s, "\n") {
		return fmt.Sprintf("%v", v)
	}
	return s
}

func toYAML(obj map[string]any) string {
	if obj == nil {
		return ""
	}
	out, err := marshalYAML(obj)
	if err != nil {
		return fmt.Sprintf("# cannot show the object: %v\n", err)
	}
	return out
}

// marshalYAML writes v as YAML with two-space indents and, unlike sigs.k8s.io/yaml, without
// folding long strings over several lines: a secret that is printed whole on one line is one
// that redaction finds.
func marshalYAML(v any) (string, error) {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// indentRest indents every line of s but the first.
func indentRest(s, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}

// verdict says what apply does about a conflict.
func verdict(r plan.Release, c plan.Conflict) string {
	switch {
	case c.Kind == plan.ManagerKubectl && r.Action != plan.ActionRefused:
		return "changed with kubectl: apply repairs it"
	case c.Kind == plan.ManagerKubectl:
		return "changed with kubectl: drift that apply would repair"
	case c.Kind == plan.ManagerHelm:
		return "helm's own client-side write: the upgrade moves it over"
	case r.ForceConflicts:
		return "not kubectl: apply takes it, as forced"
	}
	hint := "ignoreDifferences"
	if ptr := c.Pointer(); ptr != "" {
		hint += " " + ptr
	}
	return "not kubectl: apply refuses it; take it with --force-conflicts or forceConflicts: true, or leave it with " + hint
}

// writeIgnored lists the fields that ignoreDifferences left out.
func writeIgnored(b *strings.Builder, r plan.Release, p painter) {
	for _, f := range r.Ignored {
		fmt.Fprintf(b, "  %s\n", p.paint(faint, fmt.Sprintf("ignored: %s %s (ignoreDifferences)", f.Object, f.Path)))
	}
}
