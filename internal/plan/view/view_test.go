package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is right):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// everyState is a plan with a release in each state, built by hand: the states that need a
// broken cluster to reach are tested for real in package plan; here only their looks are.
func everyState() *plan.Plan {
	cm := plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "web"}
	dep := plan.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "apps", Name: "web"}
	secret := plan.ObjectRef{Version: "v1", Kind: "Secret", Namespace: "apps", Name: "creds"}
	return &plan.Plan{
		Project: "shop", Environment: "prod", Time: now,
		Releases: []plan.Release{
			{Name: "settings", Namespace: "platform", State: plan.StateInSync, Action: plan.ActionNone, Reason: "revision 4",
				Chart: "settings", Version: "0.1.0", Current: &plan.Revision{Number: 4, Status: "deployed", Chart: "settings", Version: "0.1.0", Updated: now.Add(-72 * time.Hour)}, Deployed: &plan.Revision{Number: 4, Status: "deployed", Chart: "settings", Version: "0.1.0", Updated: now.Add(-72 * time.Hour)},
				Changes: []plan.ObjectChange{{Object: cm, Action: plan.ChangeUnchanged}}},
			{Name: "web", Namespace: "apps", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Reason: "values changed",
				Chart: "app", Version: "1.2.0", Revision: 3, Current: &plan.Revision{Number: 2, Status: "deployed", Chart: "app", Version: "1.1.0", Updated: now.Add(-time.Hour)}, Deployed: &plan.Revision{Number: 2, Status: "deployed", Chart: "app", Version: "1.1.0", Updated: now.Add(-time.Hour)},
				Changes: []plan.ObjectChange{
					{Object: cm, Action: plan.ChangeUpdate,
						Diff:    []plan.FieldChange{{Path: "data.GREETING", Op: plan.FieldReplace, Old: "hello", New: "hi"}},
						Live:    map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"GREETING": "hello"}},
						Planned: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"GREETING": "hi"}}},
					{Object: dep, Action: plan.ChangeUpdate, Err: errors.New(`server-side dry run: Deployment.apps "web" is invalid: spec.selector: Invalid value: field is immutable`)},
					{Object: plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "old"}, Action: plan.ChangeDelete,
						Live: map[string]any{"kind": "ConfigMap"}},
				},
				Hooks:    []plan.Hook{{Kind: "Job", Name: "migrate", Events: []string{"pre-upgrade"}}},
				Warnings: []string{"CRD widgets.example.com differs from the chart's crds/ (spec.versions[name=v1].schema), and helm never upgrades CRDs"}},
			{Name: "creds", Namespace: "apps", State: plan.StateDrifted, Action: plan.ActionUpgrade, ForceConflicts: true,
				Reason: "live objects differ from revision 1: Secret creds (data.password)", Chart: "creds", Version: "0.3.0", Revision: 2,
				Current: &plan.Revision{Number: 1, Status: "deployed", Chart: "creds", Version: "0.3.0", Updated: now.Add(-5 * time.Minute)}, Deployed: &plan.Revision{Number: 1, Status: "deployed", Chart: "creds", Version: "0.3.0", Updated: now.Add(-5 * time.Minute)},
				Changes: []plan.ObjectChange{{Object: secret, Action: plan.ChangeUpdate,
					Drift:     []plan.FieldChange{{Path: "data.password", Op: plan.FieldReplace, Old: "b2xk", New: "bmV3ZXI=", Sensitive: true}},
					Diff:      []plan.FieldChange{{Path: "data.password", Op: plan.FieldReplace, Old: "bmV3ZXI=", New: "b2xk", Sensitive: true}},
					Conflicts: []plan.Conflict{{Path: "data.password", Manager: "kubectl-edit", Kind: plan.ManagerKubectl}},
					Live:      map[string]any{"kind": "Secret", "data": map[string]any{"password": "bmV3ZXI=", "user": "YWRtaW4="}},
					Planned:   map[string]any{"kind": "Secret", "data": map[string]any{"password": "b2xk", "user": "YWRtaW4="}}}}},
			{Name: "queue", Namespace: "apps", State: plan.StatePending, Action: plan.ActionBlocked,
				Reason: "revision 7 is pending-upgrade: another operation is running or was interrupted; if it was interrupted, `helm rollback queue -n apps` unlocks it",
				Chart:  "queue", Version: "2.0.0",
				Current:  &plan.Revision{Number: 7, Status: "pending-upgrade", Chart: "queue", Version: "2.0.0", Updated: now.Add(-10 * time.Minute)},
				Deployed: &plan.Revision{Number: 6, Status: "deployed", Chart: "queue", Version: "1.9.0", Updated: now.Add(-48 * time.Hour)}},
			{Name: "jobs", Namespace: "apps", State: plan.StateFailed, Action: plan.ActionUpgrade, Reason: "revision 2 is failed: timed out; apply upgrades it",
				Chart: "jobs", Version: "1.0.0", Revision: 3, Current: &plan.Revision{Number: 2, Status: "failed", Chart: "jobs", Version: "1.0.0", Updated: now.Add(-3 * time.Hour)},
				Deployed: &plan.Revision{Number: 1, Status: "deployed", Chart: "jobs", Version: "0.9.0", Updated: now.Add(-96 * time.Hour)},
				Changes:  []plan.ObjectChange{{Object: plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "jobs"}, Action: plan.ChangeUnchanged}}},
			{Name: "cache", Namespace: "apps", State: plan.StateUnmanaged, Action: plan.ActionUpgrade,
				Reason: `kaji did not install it (no kaji.dev/project label); apply adopts it into project "shop"`,
				Chart:  "cache", Version: "0.9.0", Revision: 2, Current: &plan.Revision{Number: 1, Status: "deployed", Chart: "cache", Version: "0.9.0", Updated: now.Add(-24 * time.Hour)}, Deployed: &plan.Revision{Number: 1, Status: "deployed", Chart: "cache", Version: "0.9.0", Updated: now.Add(-24 * time.Hour)},
				Changes: []plan.ObjectChange{{Object: plan.ObjectRef{Version: "v1", Kind: "Service", Namespace: "apps", Name: "cache"}, Action: plan.ChangeUnchanged}}},
			{Name: "shared", Namespace: "apps", State: plan.StateUnmanaged, Action: plan.ActionAdopt,
				Reason: `made by helm, not by kaji (no kaji.dev/project label); in sync with kaji.yaml: apply labels revision 3 as project shop's, without a new revision`,
				Chart:  "shared", Version: "1.2.0", Current: &plan.Revision{Number: 3, Status: "deployed", Chart: "shared", Version: "1.2.0", Updated: now.Add(-6 * time.Hour)},
				Deployed: &plan.Revision{Number: 3, Status: "deployed", Chart: "shared", Version: "1.2.0", Updated: now.Add(-6 * time.Hour)},
				Changes:  []plan.ObjectChange{{Object: plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "shared"}, Action: plan.ChangeUnchanged}}},
			{Name: "theirs", Namespace: "apps", State: plan.StateUnmanaged, Action: plan.ActionBlocked,
				Reason: `owned by kaji project "other"; apply leaves it alone unless --adopt, or adopt: true on the release in kaji.yaml, takes it over into project "shop"`,
				Chart:  "theirs", Version: "1.0.0", Current: &plan.Revision{Number: 4, Status: "deployed", Chart: "theirs", Version: "1.0.0", Updated: now.Add(-2 * time.Hour), Project: "other"},
				Changes: []plan.ObjectChange{{Object: plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "theirs"}, Action: plan.ChangeUnchanged}}},
			{Name: "search", Namespace: "apps", State: plan.StateInstall, Action: plan.ActionInstall, Reason: "not installed", Chart: "search", Version: "5.0.0", Revision: 1,
				Changes: []plan.ObjectChange{{Object: plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "search"}, Action: plan.ChangeCreate,
					Planned: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"replicas": int64(0)}}}}},
			{Name: "api", Namespace: "apps", State: plan.StateDrifted, Action: plan.ActionRefused,
				Reason: `live objects differ from revision 4: Deployment.apps api (spec.replicas); apply refuses it: Deployment.apps api spec.replicas is owned by "kube-controller-manager" through the scale subresource (take with --force-conflicts or forceConflicts: true, or leave with ignoreDifferences)`,
				Chart:  "api", Version: "1.0.0", Current: &plan.Revision{Number: 4, Status: "deployed", Chart: "api", Version: "1.0.0", Updated: now.Add(-time.Hour)},
				Changes: []plan.ObjectChange{{Object: plan.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "apps", Name: "api"}, Action: plan.ChangeUpdate,
					Drift: []plan.FieldChange{{Path: "spec.replicas", Op: plan.FieldReplace, Old: int64(2), New: int64(5)}},
					Diff:  []plan.FieldChange{{Path: "spec.replicas", Op: plan.FieldReplace, Old: int64(5), New: int64(2)}},
					Conflicts: []plan.Conflict{{Path: "spec.replicas", Manager: "kube-controller-manager", Subresource: "scale", Kind: plan.ManagerOther},
						{Path: "metadata.labels.team", Manager: "kubectl-label", Kind: plan.ManagerKubectl}},
					Live:    map[string]any{"spec": map[string]any{"replicas": int64(5)}},
					Planned: map[string]any{"spec": map[string]any{"replicas": int64(2)}}}}},
			{Name: "worker", Namespace: "apps", State: plan.StateInSync, Action: plan.ActionNone, Reason: "revision 2", Chart: "worker", Version: "1.0.0",
				Changes: []plan.ObjectChange{{Object: plan.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "apps", Name: "worker"}, Action: plan.ChangeUnchanged}},
				Ignored: []plan.IgnoredField{{Object: plan.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "apps", Name: "worker"}, Path: "/spec/replicas"}}},
			{Name: "broken", Namespace: "apps", State: plan.StateUnknown, Action: plan.ActionNone, Reason: "could not be planned",
				Err: errors.New(`chart "./charts/broken": no Chart.yaml`)},
			{Name: "legacy", Namespace: "apps", State: plan.StateOrphan, Action: plan.ActionNone, Reason: "not in kaji.yaml (revision 3, deployed); apply leaves it",
				Current: &plan.Revision{Number: 3, Status: "deployed", Chart: "legacy", Version: "0.1.0", Updated: now.Add(-400 * time.Hour)}, Deployed: &plan.Revision{Number: 3, Status: "deployed", Chart: "legacy", Version: "0.1.0", Updated: now.Add(-400 * time.Hour)}},
		},
		Lock:     &lock.Holder{Who: "ci@runner-7", PID: 4242, Version: "v0.3.0", Command: "apply", Since: now.Add(-time.Minute), Renewed: now},
		Warnings: []string{"listing helm releases in all namespaces is forbidden, so orphans were looked for only in namespaces apps, platform"},
	}
}

func TestTextGolden(t *testing.T) {
	var out bytes.Buffer
	if err := Text(&out, everyState(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "every-state.txt", out.String())
	if strings.Contains(out.String(), "b2xk") || strings.Contains(out.String(), "bmV3ZXI") {
		t.Error("text view shows secret data")
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Error("text view without colour has escape codes")
	}
}

func TestTextColour(t *testing.T) {
	var out bytes.Buffer
	if err := Text(&out, everyState(), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{red + "- ConfigMap old (apps)" + reset, green + "+ ConfigMap search (apps)" + reset, green + "in-sync" + reset} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("coloured output lacks %q:\n%s", want, out.String())
		}
	}
	// Colour does not move the columns.
	var plainOut bytes.Buffer
	if err := Text(&plainOut, everyState(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	stripped := strings.NewReplacer(red, "", green, "", yellow, "", cyan, "", bold, "", faint, "", reset, "").Replace(out.String())
	if stripped != plainOut.String() {
		t.Errorf("coloured output without its colours differs from plain output:\n%s", stripped)
	}
}

func TestStatusGolden(t *testing.T) {
	var out bytes.Buffer
	if err := StatusText(&out, everyState(), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.txt", out.String())
}

func TestJSONKeepsZerosAndHidesSecrets(t *testing.T) {
	p := everyState()
	p.Releases[1].Changes[0].Diff = append(p.Releases[1].Changes[0].Diff,
		plan.FieldChange{Path: "spec.replicas", Op: plan.FieldReplace, Old: int64(0), New: int64(1)},
		plan.FieldChange{Path: "spec.paused", Op: plan.FieldRemove, Old: false})
	var out bytes.Buffer
	if err := JSON(&out, p, JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	diff := doc.Releases[1].Changes[0].Diff
	if string(diff[1].Old) != "0" || string(diff[1].New) != "1" || string(diff[2].Old) != "false" || diff[2].New != nil {
		t.Errorf("zero values lost: %+v", diff)
	}
	if strings.Contains(out.String(), "b2xk") || !strings.Contains(out.String(), `"redacted": "changed (5 bytes → 3 bytes)"`) {
		t.Errorf("secret in JSON:\n%s", out.String())
	}
	if doc.Summary.Errors != 2 || !doc.Summary.Changes || doc.Summary.Orphan != 1 || doc.Summary.Pending != 1 ||
		doc.Summary.Adopt != 1 || doc.Summary.Unmanaged != 3 {
		t.Errorf("summary %+v", doc.Summary)
	}
	var api, worker ReleaseJSON
	for _, r := range doc.Releases {
		switch r.Name {
		case "api":
			api = r
		case "worker":
			worker = r
		}
	}
	wantConflicts := []ConflictJSON{
		{Path: "spec.replicas", Manager: "kube-controller-manager", Subresource: "scale", ManagerKind: "other", Pointer: "/spec/replicas"},
		{Path: "metadata.labels.team", Manager: "kubectl-label", ManagerKind: "kubectl", Pointer: "/metadata/labels/team"},
	}
	if api.Action != "refused" || len(api.Changes) != 1 || !reflect.DeepEqual(api.Changes[0].Conflicts, wantConflicts) {
		t.Errorf("refused release %+v, want conflicts %+v", api, wantConflicts)
	}
	if len(worker.Ignored) != 1 || worker.Ignored[0] != (IgnoredJSON{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "apps", Name: "worker", Path: "/spec/replicas"}) {
		t.Errorf("ignored fields %+v", worker.Ignored)
	}
	out.Reset()
	if err := JSON(&out, p, JSONOptions{ShowSecrets: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"old": "bmV3ZXI="`) {
		t.Errorf("--show-secrets JSON lacks the secret:\n%s", out.String())
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{-time.Second: "0s", 45 * time.Second: "45s", 10 * time.Minute: "10m", 5 * time.Hour: "5h", 72 * time.Hour: "3d"} {
		if got := Age(d); got != want {
			t.Errorf("Age(%s) = %s, want %s", d, got, want)
		}
	}
}

// A refused release's heading gives every reason apply refuses it: conflicts, dropped
// settings, or both.
func TestRefusedHeadingGivesEveryReason(t *testing.T) {
	conflict := plan.ObjectChange{Object: plan.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web"},
		Conflicts: []plan.Conflict{{Path: "spec.replicas", Manager: "hpa-controller", Kind: plan.ManagerOther}}}
	dropped := plan.DroppedKey{}
	const owned, drops = "other field managers own fields that apply would change", "the upgrade to app 2.0.0 drops settings of kaji.yaml"
	for _, c := range []struct {
		name    string
		changes []plan.ObjectChange
		dropped []plan.DroppedKey
		want    []string
	}{
		{"conflicts", []plan.ObjectChange{conflict}, nil, []string{owned}},
		{"dropped settings", nil, []plan.DroppedKey{dropped}, []string{drops}},
		{"both", []plan.ObjectChange{conflict}, []plan.DroppedKey{dropped}, []string{owned, drops}},
	} {
		r := plan.Release{Name: "web", Namespace: "ns", State: plan.StateUpgrade, Action: plan.ActionRefused,
			Chart: "app", Version: "2.0.0", Changes: c.changes, Dropped: c.dropped}
		h := releaseHeader(r)
		for _, w := range c.want {
			if !strings.Contains(h, w) {
				t.Errorf("%s: heading %q does not say %q", c.name, h, w)
			}
		}
		if len(c.want) == 1 && strings.Contains(h, ", and ") {
			t.Errorf("%s: heading %q gives a reason that does not hold", c.name, h)
		}
	}
}
