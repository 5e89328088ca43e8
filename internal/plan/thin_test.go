package plan_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	rspb "helm.sh/helm/v4/pkg/release/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/plan"
)

// The plan decodes the latest and the latest deployed revision of a release, not the others:
// an older record that does not decode (here, overwritten) changes nothing, and the history's
// count still includes it.
func TestOnlyTheRevisionsThePlanReadsAreDecoded(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	for _, g := range []string{"one", "two", "three"} {
		h.apply(h.resolve(webRelease, "NS", ns, "GREETING", g))
	}
	secrets := env.Client.CoreV1().Secrets(ns)
	for _, rev := range []int{1, 2} {
		name := fmt.Sprintf("sh.helm.release.v1.web.v%d", rev)
		sec, err := secrets.Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sec.Data["release"] = []byte("not a release")
		if _, err := secrets.Update(t.Context(), sec, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, second := range []bool{false, true} { // one namespace: listed per namespace; two: by name
		body := webRelease
		vars := []string{"NS", ns, "GREETING", "three"}
		if second {
			body += "  - name: other\n    namespace: NS2\n    chart: CHARTS/web\n"
			vars = append(vars, "NS2", env.Namespace(t))
		}
		r := releaseNamed(t, h.plan(h.resolve(body, vars...), plan.Options{}), "web")
		if r.Err != nil {
			t.Fatalf("two releases: %v; plan: %v", second, r.Err)
		}
		wantState(t, r, plan.StateInSync, plan.ActionNone)
		if r.Stored != 3 || r.Current == nil || r.Current.Number != 3 || r.Deployed == nil || r.Deployed.Number != 3 {
			t.Errorf("stored %d, current %+v, deployed %+v; want 3 revisions, 3 current and deployed", r.Stored, r.Current, r.Deployed)
		}
	}
}

// The list of the project's revisions, read to find orphans, decodes none of them: it lists
// a revision whose record does not decode, by its labels.
func TestProjectListDecodesNoRevision(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webRelease, "NS", ns, "GREETING", "one"))
	secrets := env.Client.CoreV1().Secrets(ns)
	sec, err := secrets.Get(t.Context(), "sh.helm.release.v1.web.v1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Data["release"] = []byte("not a release")
	if _, err := secrets.Update(t.Context(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rels, err := h.planner().Storage.ProjectReleases(t.Context(), h.project)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, r := range rels {
		if r.Namespace == ns {
			found = append(found, fmt.Sprintf("%s v%d %s", r.Name, r.Version, r.Info.Status))
		}
	}
	if len(found) != 1 || found[0] != "web v1 deployed" {
		t.Errorf("project list in %s: %q, want web v1 deployed", ns, found)
	}
}

// The list of the project's revisions asks for their metadata alone: the API server sends
// none of the release data, here a revision of more than 64 KiB.
func TestProjectListReadsNoReleaseData(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	greeting := rand.Text() // random, so that the record's gzip cannot make it small
	for len(greeting) < 64<<10 {
		greeting += rand.Text()
	}
	h.apply(h.resolve(webRelease, "NS", ns, "GREETING", greeting))
	sec, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), "sh.helm.release.v1.web.v1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sec.Data["release"]); n < 64<<10 {
		t.Fatalf("the record holds %d bytes, want more than 64 KiB for the test to mean anything", n)
	}

	var read atomic.Int64
	cfg := rest.CopyConfig(env.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			if err == nil && strings.Contains(req.URL.RawQuery, "kaji.dev%2Fproject") {
				resp.Body = countingBody{resp.Body, &read}
			}
			return resp, err
		})
	}
	conn, err := cluster.FromConfig(clientcmdapi.Config{}, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.ForCluster(conn, h.charts)
	if err != nil {
		t.Fatal(err)
	}
	rels, err := p.Storage.ProjectReleases(t.Context(), h.project)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rels, func(r *rspb.Release) bool { return r.Namespace == ns && r.Name == "web" && r.Version == 1 }) {
		t.Errorf("project list lacks web v1 in %s", ns)
	}
	if n := read.Load(); n == 0 || n > 16<<10 {
		t.Errorf("the project list read %d bytes, want some, and far less than the 64 KiB record", n)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countingBody adds what is read of a response body to n.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}
