package doctor

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/spec"
)

func TestKubeconfigCheck(t *testing.T) {
	cases := []struct {
		name, file, context string
		onPath              []string
		status              Status
		summary             []string
		evidence            string
		// eks is the EKS cluster the exec plugin names: name/region/role.
		eks    string
		fix    string
		noREST bool
	}{
		{name: "v1alpha1 and no aws", file: "exec-v1alpha1.yaml", status: Fail, noREST: true,
			summary: []string{`exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"`, "executable aws not found on PATH"},
			eks:     "prod/eu-west-1/" + deployerARN, fix: "use exec apiVersion client.authentication.k8s.io/v1beta1"},
		{name: "v1alpha1 with aws", file: "exec-v1alpha1.yaml", onPath: []string{"aws"}, status: Fail, noREST: true,
			summary: []string{"invalid apiVersion"}, evidence: "aws is /usr/local/bin/aws", eks: "prod/eu-west-1/" + deployerARN},
		{name: "authenticator", file: "authenticator.yaml", context: "prod", onPath: []string{"aws-iam-authenticator"}, status: OK,
			summary: []string{"context prod"}, eks: "prod/eu-west-1/"},
		{name: "current context", file: "token.yaml", status: OK, summary: []string{"context kind"}, evidence: "user authenticates with a bearer token"},
		{name: "missing context", file: "token.yaml", context: "prod", status: Fail, noREST: true,
			summary: []string{`context "prod" is not in`}, evidence: "contexts: kind", fix: "set cluster.kubeContext"},
		{name: "missing file", file: "none.yaml", status: Fail, noREST: true, summary: []string{"cannot be read"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := resolved(nil, "apps")
			res.Cluster.Kubeconfig, res.Cluster.KubeContext = filepath.Join("testdata", "kubeconfig", c.file), c.context
			check := kubeconfigCheck{
				lookPath: func(file string) (string, error) {
					for _, p := range c.onPath {
						if p == file {
							return "/usr/local/bin/" + file, nil
						}
					}
					return "", errors.New("executable file not found in $PATH")
				},
				getenv: func(string) string { return "" },
			}
			s := newState(Target{Resolved: res}, nil, nil)
			f := check.run(t.Context(), s)
			if f.Status != c.status {
				t.Fatalf("status %s, want %s: %s", f.Status, c.status, f.Summary)
			}
			for _, w := range c.summary {
				if !strings.Contains(f.Summary, w) {
					t.Errorf("summary %q lacks %q", f.Summary, w)
				}
			}
			if c.evidence != "" && !strings.Contains(strings.Join(f.Evidence, "\n"), c.evidence) {
				t.Errorf("evidence %q lacks %q", f.Evidence, c.evidence)
			}
			got := ""
			if s.EKS != nil {
				got = s.EKS.Name + "/" + s.EKS.Region + "/" + s.EKS.RoleARN
			}
			if got != c.eks {
				t.Errorf("EKS from the exec plugin = %q, want %q", got, c.eks)
			}
			if (s.REST == nil) != c.noREST || (c.noREST && s.RESTProblem == "") {
				t.Errorf("REST %v, problem %q", s.REST, s.RESTProblem)
			}
			if c.fix != "" {
				checkFix(t, f.Fix, c.fix, "", "")
			}
		})
	}
}

func TestKubeconfigSkippedForEKS(t *testing.T) {
	target := &spec.EKS{Name: "prod", Region: "eu-west-1"}
	s := newState(Target{Resolved: resolved(target, "apps")}, nil, nil)
	f := kubeconfigCheck{}.run(t.Context(), s)
	if f.Status != Skipped || s.EKS == nil || s.EKS.Name != "prod" {
		t.Errorf("%+v, EKS %+v", f, s.EKS)
	}
	// --kube-context makes kaji use the kubeconfig even with cluster.eks.
	s = newState(Target{Resolved: resolved(target, "apps"), Context: "nope", Kubeconfig: filepath.Join("testdata", "kubeconfig", "token.yaml")}, nil, nil)
	if f := (kubeconfigCheck{}).run(t.Context(), s); f.Status != Fail {
		t.Errorf("with --kube-context: %+v", f)
	}
}

func TestExecFixSnippet(t *testing.T) {
	res := resolved(nil, "apps")
	res.Cluster.Kubeconfig = filepath.Join("testdata", "kubeconfig", "exec-v1alpha1.yaml")
	s := newState(Target{Resolved: res}, nil, nil)
	f := kubeconfigCheck{lookPath: func(string) (string, error) { return "", errors.New("not found") }, getenv: func(string) string { return "" }}.run(t.Context(), s)
	checkFix(t, f.Fix, "roleArn: "+deployerARN, "aws eks update-kubeconfig --name prod --region eu-west-1 --alias prod", "apiVersion: client.authentication.k8s.io/v1beta1")
	if !strings.Contains(f.Fix.Snippet.Text, "value: platform") || len(s.AWSOptions) != 1 {
		t.Errorf("the plugin's AWS_PROFILE is lost: %s, %d options", f.Fix.Snippet.Text, len(s.AWSOptions))
	}
}
