package testenv_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"kaji.dev/kaji/internal/testenv"
)

// TestWorkloadsRunPods starts a control plane of its own WithWorkloads (the package's shared
// one has no nodes): a plain Pod is scheduled onto the fake node and becomes Ready, and Stop
// takes every component down.
func TestWorkloadsRunPods(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	e, err := testenv.Start(ctx, testenv.WithWorkloads(), testenv.WithWorkDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = e.Stop()
		}
	})

	node, err := e.Client.CoreV1().Nodes().Get(ctx, testenv.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(node.Spec.Taints) > 0 {
		t.Errorf("node taints %v, want none: any pod may run on it", node.Spec.Taints)
	}

	ns := metav1.NamespaceDefault // e.Namespace would delete it after Stop
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  "web",
			Image: "registry.invalid/no-such-image:1", // kwok pulls nothing
			// kwok reports containers ready whatever their probes: a probe that can never
			// pass shows that readiness is faked, not checked.
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				Exec: &corev1.ExecAction{Command: []string{"false"}},
			}},
		}}},
	}
	if _, err := e.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *corev1.Pod
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err = e.Client.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return podReady(got), nil
	})
	if err != nil {
		t.Fatalf("pod never became ready: %v; last status %+v", err, got.Status)
	}
	if got.Spec.NodeName != testenv.NodeName || got.Status.Phase != corev1.PodRunning || got.Status.PodIP == "" {
		t.Errorf("pod on node %q, phase %s, IP %q; want scheduled onto %s, running, with an IP",
			got.Spec.NodeName, got.Status.Phase, got.Status.PodIP, testenv.NodeName)
	}

	stopped = true
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kube-controller-manager", "kube-scheduler", "kwok"} {
		data, err := os.ReadFile(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Errorf("%s log: %v", name, err)
		} else if len(strings.TrimSpace(string(data))) == 0 {
			t.Errorf("%s log is empty", name)
		}
		if pids := pidsRunning(t, name, dir); len(pids) > 0 {
			t.Errorf("%s still runs after Stop: pids %v", name, pids)
		}
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pidsRunning returns the pids of live processes of the binary name whose command line
// mentions dir, this test's own work directory, so that other control planes do not count.
func pidsRunning(t *testing.T, name, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to look for processes: %v", err)
	}
	var pids []string
	for _, entry := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if filepath.Base(args[0]) == name && strings.Contains(string(cmdline), dir) {
			pids = append(pids, entry.Name())
		}
	}
	return pids
}
