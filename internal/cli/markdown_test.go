package cli_test

import (
	"strconv"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/plan/view"
)

// plan -o markdown against a cluster: a secret of the run that the release's values carry
// into its objects is shown only as its label, in the install and in the diff of a change;
// --show-secrets is refused with it.
func TestPlanMarkdown(t *testing.T) {
	first, second, flags, ns, kajiRun := sentinelProject(t, "markdown")

	r := kajiRun("plan -o markdown", "plan", "-o", "markdown")
	if r.code != cli.ExitOK {
		t.Fatalf("plan -o markdown: exit %d\n%s%s", r.code, r.out, r.err)
	}
	project := strings.TrimSuffix(ns, "-a")
	for _, want := range []string{
		view.MarkdownMarker(project, "") + "\n### kaji plan: project `" + project + "`, context `" + env.ContextName + "`\n",
		"| db | " + ns + " | sentinel 0.1.0 | install | install | +3 \\~0 -0 |",
		"<details><summary><code>+</code> <b>db</b> (" + ns + "): install sentinel 0.1.0, revision 1</summary>",
		"```diff\n+ Secret db (" + ns + ")\n@@ -1,0 +1,",
		"\n+ ConfigMap db (" + ns + ")\n",
		"\n+   password: " + first.label + "\n",
		"\n+   password: '<redacted: 29 bytes>'\n", // the Secret's data, by size
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("plan -o markdown lacks %q:\n%s", want, r.out)
		}
	}

	if r = kajiRun("apply", "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	planRewrite(t, flags, strconv.Quote(first.value), strconv.Quote(second.value))
	r = kajiRun("plan -o markdown of a change", "plan", "-o", "markdown")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "\n-   password: "+first.label+"\n") || !strings.Contains(r.out, "\n+   password: "+second.label+"\n") ||
		!strings.Contains(r.out, "+   password: '<redacted: 29 bytes, changed>'") {
		t.Errorf("plan -o markdown of a change: exit %d, want the change from one label to the other:\n%s%s", r.code, r.out, r.err)
	}

	r = kajiRun("status -o markdown", "status", "-o", "markdown")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "| db | "+ns+" | sentinel | 0.1.0 | 0.1.0 | 1 | upgrade | ") {
		t.Errorf("status -o markdown: exit %d\n%s%s", r.code, r.out, r.err)
	}

	r = kajiRun("plan -o markdown --show-secrets", "plan", "-o", "markdown", "--show-secrets")
	if r.code != cli.ExitError || r.out != "" || !strings.Contains(r.err, "--show-secrets cannot go with -o markdown") {
		t.Errorf("plan -o markdown --show-secrets: exit %d, want a usage error and no plan:\n%s%s", r.code, r.out, r.err)
	}
}
