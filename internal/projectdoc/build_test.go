package projectdoc

import (
	"path/filepath"
	"testing"

	"kaji.dev/kaji/internal/spec"
)

// Files show relative to kaji.yaml's directory, outside it too, so that the page does not
// depend on where the project is checked out.
func TestRelative(t *testing.T) {
	root := t.TempDir()
	res := &spec.Resolved{Dir: filepath.Join(root, "deploy")}
	for file, want := range map[string]string{
		filepath.Join(root, "deploy", "kaji.yaml"):        "kaji.yaml",
		filepath.Join(root, "deploy", "values", "a.yaml"): "values/a.yaml",
		filepath.Join(root, "charts", "app"):              "../charts/app",
	} {
		if got := relative(res, file); got != want {
			t.Errorf("relative(%s) = %q, want %q", file, got, want)
		}
	}
}

func TestClusterOf(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		cluster spec.Cluster
		want    string
	}{
		{spec.Cluster{EKS: &spec.EKS{Name: "shop", Region: "eu-west-1"}, KubeContext: "ignored"}, "EKS cluster shop in eu-west-1"},
		{spec.Cluster{Kubeconfig: filepath.Join(root, "kubeconfig"), KubeContext: "prod"}, "kubeconfig kubeconfig, context prod"},
		{spec.Cluster{Kubeconfig: "/home/someone/.kube/config", KubeContext: "prod"}, "kubeconfig context prod"},
		{spec.Cluster{}, ""},
	} {
		if got := clusterOf(&spec.Resolved{Dir: root, Cluster: tc.cluster}); got != tc.want {
			t.Errorf("clusterOf(%+v) = %q, want %q", tc.cluster, got, tc.want)
		}
	}
}
