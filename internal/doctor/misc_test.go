package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

func TestWhoAmICheck(t *testing.T) {
	s := newState(Target{Resolved: resolved(deployerEKS(), "apps")}, nil, nil)
	s.EKS, s.Acting = deployerEKS(), session(t, sessionARN)
	s.Cluster = &eks.Cluster{AuthenticationMode: ModeAPI}
	s.Kube = (&fakeKube{}).kube()
	f := whoAmICheck(t.Context(), s)
	if f.Status != Fail || !strings.Contains(f.Summary, "EKS maps "+canonical+" to no Kubernetes user") || !strings.Contains(f.Fix.Summary, "the access-entries finding") {
		t.Errorf("401: %+v", f)
	}
	s = newState(Target{Resolved: resolved(deployerEKS(), "apps")}, nil, nil)
	s.Kube = (&fakeKube{user: &authnv1.UserInfo{Username: "kaji:s", Groups: []string{"g"}, Extra: map[string]authnv1.ExtraValue{"arn": {sessionARN}, "accessKeyId": {"ASIASECRETISH"}}}}).kube()
	f = whoAmICheck(t.Context(), s)
	if f.Status != OK || f.Summary != "you are kaji:s" || strings.Contains(strings.Join(f.Evidence, " "), "ASIA") {
		t.Errorf("ok: %+v", f)
	}
	s = newState(Target{Resolved: resolved(deployerEKS(), "apps")}, nil, nil)
	s.KubeProblem = "the kubeconfig is broken"
	if f := whoAmICheck(t.Context(), s); f.Status != Skipped || !strings.Contains(f.Summary, "the kubeconfig is broken") {
		t.Errorf("no client: %+v", f)
	}
}

func TestHint(t *testing.T) {
	cases := []struct {
		err  error
		hint bool
	}{
		{apierrors.NewUnauthorized("Unauthorized"), true},
		{fmt.Errorf("install apps/web: %w", apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "x", errors.New("no"))), true},
		{errors.New("Kubernetes cluster unreachable: the server has asked for the client to provide credentials"), true},
		{errors.New(`secrets is forbidden: User "u" cannot list resource "secrets"`), true},
		{&eks.Error{Step: eks.StepAssumeRole, Kind: eks.KindAccessDenied, What: "assume role", Err: apiErr("AccessDenied", "no")}, true},
		{fmt.Errorf("describe: %w", apiErr("AccessDeniedException", "no")), true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}}, true},
		{errors.New(`Get "https://10.0.1.23/api": dial tcp 10.0.1.23:443: i/o timeout`), true},
		{errors.New(`exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"`), true},
		{errors.New("getting credentials: exec: executable aws not found"), true},
		{errors.Join(errors.New("release a failed"), apierrors.NewUnauthorized("Unauthorized")), true},
		{errors.New("1 release(s) failed, 0 skipped; fix the errors above and run again: kaji converges"), false},
		{errors.New(`render chart web: template: web/templates/x.yaml:3: function "nope" not defined`), false},
		{fmt.Errorf("upgrade apps/web: resource Deployment/apps/web not ready: %w", context.DeadlineExceeded), false},
		{errors.Join(errors.New("resource not ready, name: web, kind: Deployment, status: InProgress"), context.DeadlineExceeded), false},
		// A request that got no answer in time, as a lock renewal against a stalled API server.
		{fmt.Errorf("renew the project lock: %w", &url.Error{Op: "Put", URL: "https://10.0.1.23/apis/coordination.k8s.io/v1/x", Err: context.DeadlineExceeded}), true},
		{nil, false},
	}
	for _, c := range cases {
		if got := Hint(c.err) != ""; got != c.hint {
			t.Errorf("Hint(%v) = %v, want %v", c.err, got, c.hint)
		}
	}
	// Real timeouts, as the net and net/http packages make them: a dial that ran out of time,
	// and a request to a server that accepts the connection but never answers.
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := (&net.Dialer{}).DialContext(ctx, "tcp", "127.0.0.1:9"); err == nil || Hint(err) == "" {
		t.Errorf("a dial past its deadline: %v, hint %q", err, Hint(err))
	}
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stalled.Close()
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, stalled.URL, nil)
	if resp, err := stalled.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Error("a request to a server that never answers succeeded")
	} else if Hint(err) == "" {
		t.Errorf("a request to a server that never answers: %v, no hint", err)
	}
	if Hint(errors.New("a"), apierrors.NewUnauthorized("b")) != HintText {
		t.Error("Hint looks at one error only")
	}
}

func TestRegistry(t *testing.T) {
	run := func(status Status) func(context.Context, *State) Finding {
		return func(context.Context, *State) Finding { return Finding{Status: status, Summary: string(status)} }
	}
	if _, err := NewRegistry(Check{Name: "a", Run: run(OK)}, Check{Name: "a", Run: run(OK)}); err == nil {
		t.Error("duplicate names accepted")
	}
	var seen Status
	r, err := NewRegistry(
		Check{Name: "first", Title: "First", Run: run(Fail)},
		Check{Name: "boom", Run: func(context.Context, *State) Finding { panic("bad") }},
		Check{Name: "later", Run: func(_ context.Context, s *State) Finding { seen = s.statusOf("first"); return ok("ran") }},
	)
	if err != nil {
		t.Fatal(err)
	}
	fs := r.Run(t.Context(), newState(Target{Resolved: resolved(nil)}, nil, nil))
	if len(fs) != 3 || fs[0].Check != "first" || fs[0].Title != "First" || fs[1].Status != Fail || !strings.Contains(fs[1].Summary, "crashed: bad") {
		t.Errorf("findings %+v", fs)
	}
	if seen != Fail || fs[2].Status != OK {
		t.Errorf("a later check did not run or did not see the earlier status: %s, %+v", seen, fs[2])
	}
	if got := strings.Join(New(Options{}).Registry().Names(), " "); got != "kubeconfig aws-identity role-trust cluster authentication-mode aws-auth access-entries who-am-i rbac secrets" {
		t.Errorf("default checks: %s", got)
	}
}

func TestWriteText(t *testing.T) {
	r := Report{Project: "shop", Environment: "prod", Target: "EKS cluster prod in eu-west-1 (cluster.eks)", Findings: []Finding{
		{Check: "aws-identity", Status: OK, Summary: "you are x", Evidence: []string{"account 1"}, Fix: &Fix{Summary: "not shown for ok"}},
		{Check: "role-trust", Status: Fail, Summary: "AccessDenied", Fix: &Fix{Summary: "add the statement",
			Snippet: &Snippet{Format: "json", File: "trust-policy.json", Text: "{\n  \"a\": 1\n}\n"}, Commands: []string{"# then", "aws iam x"}}},
		{Check: "rbac", Status: Skipped, Summary: "needs the role"},
	}}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `kaji doctor: project shop, environment prod, EKS cluster prod in eu-west-1 (cluster.eks)

✓ aws-identity  ok: you are x
    · account 1
✗ role-trust    fail: AccessDenied
    fix: add the statement
      # trust-policy.json
      {
        "a": 1
      }
      # then
      $ aws iam x
- rbac          skipped: needs the role

doctor: 1 fail, 1 skipped, 1 ok; broken: role-trust (fix the first one first: later links depend on it)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if r.Failed() != 1 {
		t.Errorf("Failed() = %d", r.Failed())
	}
}

func TestRenderedObjects(t *testing.T) {
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	res := &spec.Resolved{Releases: []spec.ResolvedRelease{{Name: "web", Namespace: "apps", Chart: filepath.Join(charts, "app"), ChartKind: spec.ChartLocal}}}
	objs, err := newRenderedObjects(res).Objects(t.Context(), res.Releases[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.APIVersion+" "+o.Kind+" "+o.Name)
	}
	if strings.Join(got, ", ") != "v1 ConfigMap web, apps/v1 Deployment web, v1 Service web" {
		t.Errorf("objects: %s", got)
	}
}
