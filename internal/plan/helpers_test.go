package plan_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// harness plans and applies the releases of one test's kaji.yaml against the test cluster.
type harness struct {
	t       *testing.T
	dir     string
	project string
	conn    *cluster.Conn
	charts  chartsOf
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env.Require(t)
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &harness{
		// Projects are unique per test and run, so that no test sees another's releases as orphans.
		t: t, dir: dir, project: "p-" + strings.ToLower(rand.Text()[:12]), conn: conn,
		charts: chartsOf{chart.NewLoader(chart.Options{CacheDir: t.TempDir()})},
	}
}

// resolve writes kaji.yaml with body after its apiVersion and project lines; CHARTS stands for
// the test charts, and each of vars is a pair ("NS", namespace) to replace.
func (h *harness) resolve(body string, vars ...string) *spec.Resolved {
	h.t.Helper()
	charts, err := filepath.Abs("testdata/charts")
	if err != nil {
		h.t.Fatal(err)
	}
	text := fmt.Sprintf("apiVersion: kaji.dev/v1alpha1\nproject: %s\n%s", h.project, body)
	text = strings.NewReplacer(append([]string{"CHARTS", charts}, vars...)...).Replace(text)
	path := filepath.Join(h.dir, "kaji.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
	doc, err := spec.Load(path)
	if err != nil {
		h.t.Fatalf("load kaji.yaml:\n%s\n%v", text, err)
	}
	res, err := doc.Resolve("")
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// apply installs or upgrades every release of res, as kaji apply does today.
func (h *harness) apply(res *spec.Resolved) *apply.Summary {
	h.t.Helper()
	sum, err := h.runner().Apply(h.t.Context(), res)
	if err != nil {
		var errs []error
		if sum != nil {
			for _, o := range sum.Outcomes {
				if o.Err != nil {
					errs = append(errs, o.Err)
				}
			}
		}
		h.t.Fatalf("apply: %v %v", err, errs)
	}
	return sum
}

func (h *harness) runner() *apply.Runner {
	return &apply.Runner{Charts: h.charts, Releases: release.NewManager(h.conn, release.Options{Project: h.project, Timeout: time.Minute})}
}

func (h *harness) planner() *plan.Planner {
	h.t.Helper()
	p, err := plan.ForCluster(h.conn, h.charts)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// plan plans res with a fresh planner (and so a fresh discovery cache).
func (h *harness) plan(res *spec.Resolved, opts plan.Options) *plan.Plan {
	h.t.Helper()
	p, err := h.planner().Plan(h.t.Context(), res, opts)
	if err != nil {
		h.t.Fatalf("plan: %v", err)
	}
	return p
}

// release returns the plan of the release called name, failing the test when there is none.
func releaseNamed(t *testing.T, p *plan.Plan, name string) *plan.Release {
	t.Helper()
	r := p.Release(name)
	if r == nil {
		t.Fatalf("plan has no release %s: %+v", name, p.Releases)
	}
	return r
}

// change returns the change of the object of kind and name, failing the test when there is none.
func change(t *testing.T, r *plan.Release, kind, name string) *plan.ObjectChange {
	t.Helper()
	for i := range r.Changes {
		if c := &r.Changes[i]; c.Object.Kind == kind && c.Object.Name == name {
			return c
		}
	}
	t.Fatalf("release %s has no change for %s %s: %+v", r.Name, kind, name, r.Changes)
	return nil
}

// field returns the change of path in changes, or nil.
func field(changes []plan.FieldChange, path string) *plan.FieldChange {
	for i := range changes {
		if changes[i].Path == path {
			return &changes[i]
		}
	}
	return nil
}

func wantState(t *testing.T, r *plan.Release, state plan.State, action plan.Action) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("release %s: %v", r.Name, r.Err)
	}
	if r.State != state || r.Action != action {
		t.Fatalf("release %s: state %s (%s), action %s; want %s, %s", r.Name, r.State, r.Reason, r.Action, state, action)
	}
}

type chartsOf struct{ l *chart.Loader }

func (c chartsOf) Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error) {
	l, err := c.l.Load(ctx, r.Chart, r.Version)
	if err != nil {
		return nil, err
	}
	return l.Chart, nil
}

// desiredOf is what apply passes to the release manager for a planned release.
func desiredOf(t *testing.T, r *plan.Release, createNamespace bool) release.Desired {
	t.Helper()
	if r.Loaded == nil {
		t.Fatalf("release %s has no loaded chart", r.Name)
	}
	return release.Desired{Name: r.Name, Namespace: r.Namespace, Chart: r.Loaded, Values: r.Values,
		CreateNamespace: createNamespace, ForceConflicts: r.ForceConflicts}
}
