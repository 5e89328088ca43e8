package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/eks/awsauth"
	"kaji.dev/kaji/internal/iampolicy"
	"kaji.dev/kaji/internal/secrets"
)

// secretsFinding decides the status from what the simulations said, lists every permission
// with what needs it and where, and writes the policy to attach.
func secretsFinding(inv secretInventory, readers []*reader) Finding {
	var warned, unknown, broken, evidence []string
	denied := map[string][]string{} // by action: what needs it
	deniedLabels := map[string]bool{}
	explicit, keysUnknown := false, false
	for _, r := range readers {
		keysUnknown = keysUnknown || r.keysUnknown
		evidence = append(evidence, fmt.Sprintf("read as %s", r.who))
		lines := map[string][]string{} // by what needs the permission
		for _, n := range inActionOrder(r.needs) {
			res, simulated := r.result(n)
			state := "not checked"
			switch {
			case !simulated:
				unknown = append(unknown, n.Action+" on "+n.Resource)
			case res.Decision == iampolicy.Allow:
				state = "allowed"
			case res.Decision == iampolicy.Unknown:
				state = describeResult(res)
				unknown = append(unknown, n.Action+" on "+n.Resource)
			default:
				state = "denied: " + describeResult(res)
				explicit = explicit || res.Decision == iampolicy.ExplicitDeny
				if r.optional[n.Resource] {
					warned = append(warned, n.Action+" for "+strings.Join(n.For, ", "))
					break
				}
				for _, label := range n.For {
					if !slices.Contains(denied[n.Action], label) {
						denied[n.Action] = append(denied[n.Action], label)
					}
					deniedLabels[label] = true
				}
			}
			for _, label := range n.For {
				lines[label] = append(lines[label], fmt.Sprintf("%s on %s: %s", n.Action, n.Resource, state))
			}
		}
		for _, label := range inv.labels() {
			for _, l := range lines[label] {
				head := label
				if where := inv.describeUses(label); where != "" {
					head += " (" + where + ")"
				}
				evidence = append(evidence, head+": "+l)
			}
		}
		if r.batch != nil {
			if r.batch.Decision == iampolicy.Allow {
				evidence = append(evidence, "secretsmanager:BatchGetSecretValue: allowed, kaji reads up to 20 secrets a call")
			} else {
				evidence = append(evidence, "secretsmanager:BatchGetSecretValue: not allowed, kaji reads secret by secret with GetSecretValue (enough)")
			}
		}
		if r.problem != "" {
			evidence = append(evidence, "cannot simulate the policies of "+r.who+": "+r.problem)
		}
		unknown = append(unknown, r.unplaced...)
		broken = append(broken, r.broken...)
		evidence = append(evidence, r.unplaced...)
		evidence = append(evidence, r.broken...)
		evidence = append(evidence, r.notes...)
	}
	evidence = append(evidence, inv.notes...)

	f := Finding{Evidence: evidence}
	what := fmt.Sprintf("%d reference(s)", len(inv.refs))
	if len(inv.keys) > 0 {
		what += fmt.Sprintf(" and SOPS KMS key(s) of %d file(s)", inv.sopsFiles)
	}
	switch {
	case len(denied) > 0 || len(broken) > 0:
		f.Status = Fail
		var parts []string
		if len(denied) > 0 {
			var missing []string
			for _, action := range actionOrder {
				if labels := denied[action]; len(labels) > 0 {
					missing = append(missing, action+" for "+someOf(labels, 2, ", "))
				}
			}
			parts = append(parts, fmt.Sprintf("%d of the %s lack permissions: %s", len(deniedLabels), what, strings.Join(missing, "; ")))
		}
		if len(broken) > 0 {
			of := ""
			if len(parts) == 0 {
				of = " of the " + what
			}
			parts = append(parts, fmt.Sprintf("%d%s cannot be read whatever the permissions: %s", len(broken), of, someOf(broken, 2, "; ")))
		}
		f.Summary = strings.Join(parts, "; ")
	case len(unknown) > 0:
		f.Status = Unknown
		f.Summary = fmt.Sprintf("could not check %d permission(s) of the %s: %s", len(unknown), what, someOf(unknown, 2, ", "))
		for _, r := range readers {
			if r.problem != "" {
				f.Summary = fmt.Sprintf("could not check the permissions of the %s: %s", what, r.problem)
				break
			}
		}
	case len(warned) > 0:
		f.Status = Warn
		f.Summary = fmt.Sprintf("%d SOPS KMS key(s) denied (%s); other keys of the files can stand in", len(warned), someOf(warned, 2, "; "))
	default:
		f.Status = OK
		f.Summary = "kaji may read the " + what
		if keysUnknown {
			f.Summary += ", unless some are under a customer managed KMS key, which doctor could not tell (see the evidence)"
		}
		return f
	}
	f.Fix = secretsFix(readers, broken, explicit)
	if keysUnknown {
		f.Fix.Summary += "; a parameter or secret under a customer managed KMS key needs kms:Decrypt on that key too, which doctor could not tell (see the evidence)"
	}
	return f
}

// actionOrder is the order kaji uses permissions in: it reads, then decrypts.
var actionOrder = []string{secrets.ActionGetParameters, secrets.ActionGetSecretValue, secrets.ActionDecrypt}

// inActionOrder sorts needs by actionOrder, keeping the order of resources.
func inActionOrder(needs []secrets.Need) []secrets.Need {
	out := slices.Clone(needs)
	slices.SortStableFunc(out, func(a, b secrets.Need) int {
		return slices.Index(actionOrder, a.Action) - slices.Index(actionOrder, b.Action)
	})
	return out
}

// secretsFix is the policy to attach to each reader, with all it needs, so that attaching it
// again later takes nothing away.
func secretsFix(readers []*reader, broken []string, explicit bool) *Fix {
	fix := &Fix{}
	var summaries []string
	for _, r := range readers {
		var needs []secrets.Need
		for _, n := range r.needs {
			if !strings.Contains(n.Resource, ":alias/") {
				needs = append(needs, n)
			}
		}
		if len(needs) == 0 {
			continue
		}
		text, err := secrets.Policy(needs).JSON()
		if err != nil {
			summaries = append(summaries, err.Error())
			continue
		}
		file := r.policyName + ".json"
		kind, name := principalKindName(r.arn)
		target := r.who
		if r.arn != "" {
			target = r.arn
		}
		if fix.Snippet == nil {
			fix.Snippet = &Snippet{Format: "json", File: file, Text: text}
			summaries = append(summaries, "attach this policy to "+target+": it allows all that kaji reads, what is missing included")
			if name != "" {
				fix.Commands = append(fix.Commands, fmt.Sprintf("aws iam put-%s-policy --%s-name %s --policy-name %s --policy-document file://%s", kind, kind, name, r.policyName, file))
			}
			continue
		}
		summaries = append(summaries, "attach the policy of the second command to "+target)
		compact, err := compactJSON(text)
		if err != nil {
			summaries = append(summaries, err.Error())
			continue
		}
		if name == "" {
			fix.Commands = append(fix.Commands, fmt.Sprintf("# attach to %s (its IAM user or role) the policy %s", target, compact))
			continue
		}
		fix.Commands = append(fix.Commands, fmt.Sprintf("aws iam put-%s-policy --%s-name %s --policy-name %s --policy-document '%s'", kind, kind, name, r.policyName, compact))
	}
	if explicit {
		summaries = append(summaries, "a Deny statement matches as well (see the evidence): remove or narrow it, since no Allow overrides a Deny")
	}
	if len(broken) > 0 {
		summaries = append(summaries, "create what does not exist, or fix the reference's name or ?region=")
	}
	for _, r := range readers {
		summaries = append(summaries, r.unplaced...)
	}
	if len(summaries) == 0 {
		summaries = append(summaries, "see the evidence")
	}
	fix.Summary = strings.Join(summaries, "; ")
	return fix
}

// principalKindName splits a user or role ARN for `aws iam put-user-policy` or
// `put-role-policy`; both are empty for anything else.
func principalKindName(arn string) (string, string) {
	p, err := awsauth.ParsePrincipalARN(arn)
	if err != nil || (p.Kind != "user" && p.Kind != "role") {
		return "", ""
	}
	return p.Kind, p.Name
}

// compactJSON is a JSON document on one line, for a command's argument.
func compactJSON(text string) (string, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return "", fmt.Errorf("compact the policy: %w", err)
	}
	return b.String(), nil
}

// someOf joins the first n items with sep, and says how many more there are.
func someOf(items []string, n int, sep string) string {
	if len(items) <= n {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:n], sep), sep, len(items)-n)
}
