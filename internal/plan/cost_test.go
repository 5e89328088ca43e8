package plan_test

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/testenv"
)

// manyReleases declares n web releases, spread over namespaces in turn.
func manyReleases(h *harness, n int, namespaces ...string) *spec.Resolved {
	var body strings.Builder
	body.WriteString("releases:\n")
	for i := range n {
		fmt.Fprintf(&body, "  - name: web%d\n    namespace: %s\n    chart: CHARTS/web\n", i, namespaces[i%len(namespaces)])
	}
	return h.resolve(body.String())
}

// namespaces makes n namespaces for the test.
func namespaces(t *testing.T, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = env.Namespace(t)
	}
	return out
}

// planRequests counts the API requests of one plan by a fresh planner (a fresh discovery
// cache, as one kaji run has).
func planRequests(t *testing.T, h *harness, res *spec.Resolved) (testenv.RequestCounts, *plan.Plan) {
	t.Helper()
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	return planRequestsAs(t, h, conn, res)
}

// planRequestsAs is planRequests through conn.
func planRequestsAs(t *testing.T, h *harness, conn *cluster.Conn, res *spec.Resolved) (testenv.RequestCounts, *plan.Plan) {
	t.Helper()
	p, err := plan.ForCluster(conn, h.charts)
	if err != nil {
		t.Fatal(err)
	}
	before, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Plan(t.Context(), res, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	delta := after.Sub(before)
	delta["GET nonresource"]-- // the /metrics read of RequestCount itself
	for k, v := range delta {
		// The API server's own loopback clients renew leases, and reconcile the endpoints of
		// the kubernetes Service every ten seconds, meanwhile.
		if strings.Contains(k, "leases") || strings.Contains(k, "events") || strings.Contains(k, "endpoint") || v == 0 {
			delete(delta, k)
		}
	}
	return delta, got
}

// resourceRequests is the requests of cost other than discovery, which is once per run and
// which health checks of other clients of the API server land in too.
func resourceRequests(cost testenv.RequestCounts) float64 {
	return cost.Total() - cost["GET nonresource"]
}

func TestNoChangePlanCostDoesNotGrowWithReleasesOrNamespaces(t *testing.T) {
	h := newHarness(t)
	spread := namespaces(t, 10)
	small, large := manyReleases(h, 2, spread[:2]...), manyReleases(h, 10, spread...)
	h.apply(large)
	// Another project, so that neither sees the other's releases as orphans.
	h1 := newHarness(t)
	inOne := manyReleases(h1, 10, env.Namespace(t))
	h1.apply(inOne)

	costSmall, _ := planRequests(t, h, small)
	costLarge, p := planRequests(t, h, large)
	costOne, pOne := planRequests(t, h1, inOne)
	for _, r := range append(p.Releases, pOne.Releases...) {
		if r.State != plan.StateInSync {
			t.Fatalf("%s: %s (%s), want in-sync", r.Name, r.State, r.Reason)
		}
	}
	t.Logf("no-change plan, 2 releases in 2 namespaces: %v requests (%v)", costSmall.Total(), costSmall)
	t.Logf("no-change plan, 10 releases in 10 namespaces: %v requests (%v)", costLarge.Total(), costLarge)
	t.Logf("no-change plan, 10 releases in 1 namespace: %v requests (%v)", costOne.Total(), costOne)

	// Exactly, whatever the releases and namespaces: one list of Helm's storage, one
	// cluster-wide list for orphans, one list per kind of live object (3). The plan of 2 of
	// the 10 releases has 8 orphans, whose whole histories take one list more (confirmOrphans).
	for name, cost := range map[string]testenv.RequestCounts{"2 in 2": costSmall, "10 in 10": costLarge, "10 in 1": costOne} {
		want := 1 + 1 + 3.0
		if name == "2 in 2" {
			want++
		}
		if n := resourceRequests(cost); n != want {
			t.Errorf("%s: %v resource requests, want %v: %v", name, n, want, cost)
		}
		if n := cost["GET nonresource"]; n > 4 {
			t.Errorf("%s: discovery made %v requests, want at most 4", name, n)
		}
		for k := range cost {
			if strings.HasPrefix(k, "GET ") && k != "GET nonresource" {
				t.Errorf("%s: the plan made per-object requests: %s × %v", name, k, cost[k])
			}
		}
	}
	costSmall["LIST secrets"]-- // the orphans' histories
	for _, k := range []string{"LIST secrets", "LIST configmaps", "LIST deployments.apps", "LIST services"} {
		if costLarge[k] != costSmall[k] {
			t.Errorf("%s: %v requests for 10 releases, %v for 2: the cost grows with releases", k, costLarge[k], costSmall[k])
		}
	}
}

func TestChangePlanCostGrowsWithChangedObjectsOnly(t *testing.T) {
	h := newHarness(t)
	res := manyReleases(h, 10, namespaces(t, 10)...)
	h.apply(res)
	res.Releases[3].Values = append(res.Releases[3].Values, spec.ValuesLayer{Inline: map[string]any{"greeting": "changed"}})

	cost, p := planRequests(t, h, res)
	t.Logf("requests of a plan of 10 releases, one with a changed value: %v (%v)", cost.Total(), cost)
	if r := p.Release("web3"); r.State != plan.StateUpgrade {
		t.Fatalf("web3: %s (%s)", r.State, r.Reason)
	}
	// One changed object, one dry run; nothing else is fetched one by one.
	if cost["APPLY configmaps"] != 1 || cost["APPLY deployments.apps"] != 0 || cost["APPLY services"] != 0 {
		t.Errorf("dry runs: %v, want exactly one, of the changed configmap", cost)
	}
	if n := resourceRequests(cost); n != 5+1 {
		t.Errorf("%v resource requests, want the no-change plan's 5 and one dry run: %v", n, cost)
	}
}

func TestNewReleasesAndUnlabeledObjectsAreListedByNamespace(t *testing.T) {
	h := newHarness(t)
	ns := namespaces(t, 4)
	res := manyReleases(h, 2, ns[:2]...)
	h.apply(res)
	// web0 lost Helm's label on its ConfigMap by hand; a ConfigMap made by hand sits where
	// the new release web2 puts one; web3 is new in an empty namespace.
	cm, err := env.Client.CoreV1().ConfigMaps(ns[0]).Get(t.Context(), "web0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(cm.Labels, "app.kubernetes.io/managed-by")
	if _, err := env.Client.CoreV1().ConfigMaps(ns[0]).Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	byHand := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web2"}, Data: map[string]string{"GREETING": "by hand"}}
	if _, err := env.Client.CoreV1().ConfigMaps(ns[2]).Create(t.Context(), byHand, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	cost, p := planRequests(t, h, manyReleases(h, 4, ns...))
	t.Logf("requests: %v (%v)", cost.Total(), cost)
	wantState(t, releaseNamed(t, p, "web1"), plan.StateInSync, plan.ActionNone)
	r := releaseNamed(t, p, "web0")
	wantState(t, r, plan.StateDrifted, plan.ActionUpgrade)
	if c := change(t, r, "ConfigMap", "web0"); c.Action != plan.ChangeUpdate {
		t.Errorf("web0's ConfigMap: %s, want update (its label is back)", c.Action)
	}
	if c := change(t, releaseNamed(t, p, "web2"), "ConfigMap", "web2"); c.Err == nil ||
		!strings.Contains(c.Err.Error(), `label "app.kubernetes.io/managed-by" is missing`) {
		t.Errorf("web2's ConfigMap over a hand-made one: %s, %v; want helm's ownership error", c.Action, c.Err)
	}
	if c := change(t, releaseNamed(t, p, "web3"), "Deployment", "web3"); c.Action != plan.ChangeCreate {
		t.Errorf("web3's Deployment: %s, want create", c.Action)
	}
	// The labeled lists, then whole lists only where they could not answer: configmaps in
	// ns0 (web0's lost label), ns2 and ns3 (new releases), deployments and services in ns2
	// and ns3.
	want := map[string]float64{"LIST configmaps": 1 + 3, "LIST deployments.apps": 1 + 2, "LIST services": 1 + 2}
	for k, n := range want {
		if cost[k] != n {
			t.Errorf("%s: %v requests, want %v: %v", k, cost[k], n, cost)
		}
	}
}

func TestPlanWithoutClusterWideReadsListsEachNamespace(t *testing.T) {
	h := newHarness(t)
	ns := namespaces(t, 3)
	res := manyReleases(h, 3, ns...)
	h.apply(res)

	// A user who may read only these namespaces.
	user := "ns-reader-" + strings.ToLower(rand.Text()[:8])
	for _, n := range ns {
		grantNamespaceReader(t, n, user)
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	conn, err := cluster.FromConfig(clientcmdapi.Config{}, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cost, p := planRequestsAs(t, h, conn, res)
	t.Logf("requests: %v (%v)", cost.Total(), cost)
	for _, r := range p.Releases {
		wantState(t, &r, plan.StateInSync, plan.ActionNone)
	}
	if len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0], "orphans were looked for only in namespaces") {
		t.Errorf("warnings %q, want one saying orphans were looked for only in the declared namespaces", p.Warnings)
	}
	// One list per namespace of each. (The forbidden cluster-wide lists before them are
	// refused before the API server's request metric counts them.)
	want := map[string]float64{"LIST secrets": 3, "LIST configmaps": 3, "LIST deployments.apps": 3, "LIST services": 3}
	for k, n := range want {
		if cost[k] != n {
			t.Errorf("%s: %v requests, want %v: %v", k, cost[k], n, cost)
		}
	}

	// A fourth release, in the first namespace, then gone from kaji.yaml: an orphan found
	// there, whose history is whole without a cluster-wide read.
	h.apply(manyReleases(h, 4, ns...))
	planner, err := plan.ForCluster(conn, h.charts)
	if err != nil {
		t.Fatal(err)
	}
	p, err = planner.Plan(t.Context(), manyReleases(h, 3, ns...), plan.Options{Prune: true})
	if err != nil {
		t.Fatalf("plan with an orphan, without cluster-wide reads: %v", err)
	}
	if pruned := p.Pruned(); len(pruned) != 1 || pruned[0].Name != "web3" {
		t.Errorf("pruned %+v, want the orphan web3", pruned)
	}
}

// grantNamespaceReader lets user read (and dry-run) what a plan reads in namespace ns.
func grantNamespaceReader(t *testing.T, ns, user string) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "plan-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"", "apps"},
			Resources: []string{"secrets", "configmaps", "services", "deployments"},
			Verbs:     []string{"get", "list", "patch"},
		}},
	}
	if _, err := env.Client.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "plan-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "plan-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
	}
	if _, err := env.Client.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	env.WaitAllowed(t, user, nil, authzv1.ResourceAttributes{Namespace: ns, Verb: "list", Resource: "secrets"})
}

// absentNamespace returns the name of a namespace that does not exist.
func absentNamespace() string {
	return "kaji-absent-" + strings.ToLower(rand.Text()[:8])
}

func TestInstallIntoAnAbsentNamespaceSendsNoDryRun(t *testing.T) {
	h := newHarness(t)
	absent, present := absentNamespace(), env.Namespace(t)
	res := h.resolve(`
releases:
  - name: away
    namespace: ABSENT
    chart: CHARTS/web
  - name: lost
    namespace: ABSENT
    chart: CHARTS/web
    createNamespace: false
  - name: here
    namespace: PRESENT
    chart: CHARTS/web
`, "ABSENT", absent, "PRESENT", present)

	cost, p := planRequests(t, h, res)
	t.Logf("requests: %v (%v)", cost.Total(), cost)
	// The API server answers a dry run in a namespace that does not exist only after waiting
	// for it to show up, 50 ms each: one list of namespaces tells the plan the same for all,
	// and no object there is dry-run.
	if cost["LIST namespaces"] != 1 {
		t.Errorf("%v lists of namespaces, want 1: %v", cost["LIST namespaces"], cost)
	}
	// Nor is anything listed there: one list of each kind, in the namespace that exists.
	for _, k := range []string{"LIST configmaps", "LIST deployments.apps", "LIST services"} {
		if cost[k] != 1 {
			t.Errorf("%s: %v requests, want 1: %v", k, cost[k], cost)
		}
	}
	here := releaseNamed(t, p, "here")
	if want := float64(len(here.Changes)); cost["APPLY configmaps"]+cost["APPLY deployments.apps"]+cost["APPLY services"] != want {
		t.Errorf("dry runs %v, want %v: those of here's objects alone", cost, want)
	}
	for _, c := range here.Changes {
		if c.Action != plan.ChangeCreate || c.Err != nil || c.Note != "" || c.Planned == nil {
			t.Errorf("here: %s: %s, err %v, note %q", c.Object, c.Action, c.Err, c.Note)
		}
	}
	away := releaseNamed(t, p, "away")
	wantState(t, away, plan.StateInstall, plan.ActionInstall)
	for _, c := range away.Changes {
		if c.Action != plan.ChangeCreate || c.Err != nil || !strings.Contains(c.Note, "apply creates it") || c.Planned == nil {
			t.Errorf("away: %s: %s, err %v, note %q", c.Object, c.Action, c.Err, c.Note)
		}
	}
	for _, c := range releaseNamed(t, p, "lost").Changes {
		if c.Err == nil || !strings.Contains(c.Err.Error(), "set createNamespace: true") {
			t.Errorf("lost: %s: err %v, want one saying the namespace does not exist", c.Object, c.Err)
		}
	}
}

func TestInstallIntoAnAbsentNamespaceWithoutTheRightToListNamespaces(t *testing.T) {
	h := newHarness(t)
	// A user who may read and dry-run the chart's kinds in every namespace, but not list
	// namespaces: the dry runs tell what the list would have.
	user := "no-namespaces-" + strings.ToLower(rand.Text()[:8])
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"", "apps"},
			Resources: []string{"secrets", "configmaps", "services", "deployments"},
			Verbs:     []string{"get", "list", "patch"},
		}},
	}
	if _, err := env.Client.RbacV1().ClusterRoles().Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
	}
	if _, err := env.Client.RbacV1().ClusterRoleBindings().Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client.RbacV1().ClusterRoleBindings().Delete(t.Context(), user, metav1.DeleteOptions{})
		_ = env.Client.RbacV1().ClusterRoles().Delete(t.Context(), user, metav1.DeleteOptions{})
	})
	env.WaitAllowed(t, user, nil, authzv1.ResourceAttributes{Verb: "patch", Resource: "deployments", Group: "apps"})

	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	conn, err := cluster.FromConfig(clientcmdapi.Config{}, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	planner, err := plan.ForCluster(conn, h.charts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Plan(t.Context(), h.resolve(`
releases:
  - name: away
    namespace: ABSENT
    chart: CHARTS/web
`, "ABSENT", absentNamespace()), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	away := releaseNamed(t, p, "away")
	wantState(t, away, plan.StateInstall, plan.ActionInstall)
	for _, c := range away.Changes {
		if c.Err != nil || !strings.Contains(c.Note, "apply creates it") {
			t.Errorf("away: %s: err %v, note %q", c.Object, c.Err, c.Note)
		}
	}
}
