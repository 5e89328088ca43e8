package release_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"helm.sh/helm/v4/pkg/release/common"

	"kaji.dev/kaji/internal/release"
)

// This package's control plane runs workloads (testenv.WithWorkloads): a scheduler, the
// controllers and a fake node on which pods start and become Ready at once.

// TestWaitPassesOnceDeploymentIsAvailable installs and upgrades the quickstart app (a
// Deployment, a Service and a ConfigMap) with Wait. Each Apply must return only once the
// Deployment's pods are ready: its status is read once, right after, without polling.
func TestWaitPassesOnceDeploymentIsAvailable(t *testing.T) {
	ns := env.Namespace(t)
	m := manager(t)

	res, err := m.Apply(t.Context(), release.Desired{Name: "web", Namespace: ns, Chart: quickstartChart(t, "app"),
		Values: map[string]any{"replicaCount": 2}, Wait: true, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("install with wait: %v", err)
	}
	if res.Action != release.Installed || res.Status != "deployed" || res.Revision != 1 {
		t.Errorf("install: %+v; want revision 1 installed and deployed", res)
	}
	requireAvailable(t, ns, "web", 2)

	// An upgrade waits for the rollout: every replica updated and ready.
	res, err = m.Apply(t.Context(), release.Desired{Name: "web", Namespace: ns, Chart: quickstartChart(t, "app"),
		Values: map[string]any{"replicaCount": 3, "greeting": "again"}, Wait: true, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("upgrade with wait: %v", err)
	}
	if res.Action != release.Upgraded || res.Status != "deployed" || res.Revision != 2 {
		t.Errorf("upgrade: %+v; want revision 2 upgraded and deployed", res)
	}
	requireAvailable(t, ns, "web", 3)
	got, err := m.Get(t.Context(), "web", ns)
	if err != nil || got == nil || got.Info.Status != common.StatusDeployed {
		t.Fatalf("release after the upgrade: %+v, %v; want deployed", got, err)
	}
}

// requireAvailable fails t unless Deployment name is, at this moment, Available with all
// its replicas of its latest generation ready.
func requireAvailable(t *testing.T, ns, name string, replicas int32) {
	t.Helper()
	d, err := env.Client.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := d.Status
	if d.Spec.Replicas == nil || *d.Spec.Replicas != replicas {
		t.Fatalf("deployment %s wants %v replicas, want %d", name, d.Spec.Replicas, replicas)
	}
	if s.ObservedGeneration != d.Generation || s.ReadyReplicas != replicas || s.UpdatedReplicas != replicas ||
		s.AvailableReplicas != replicas || !deploymentAvailable(d) {
		t.Fatalf("deployment %s right after the wait: generation %d, status %+v; want generation observed, Available, %d of %d replicas updated and ready",
			name, d.Generation, s, replicas, replicas)
	}
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// forbidPods makes namespace ns admit no pods at all (a ResourceQuota of zero pods), so that
// a Deployment there never becomes ready even though a node would run its pods. The API
// server enforces a quota only once the quota controller has counted its usage, so
// forbidPods waits for that.
func forbidPods(t *testing.T, ns string) {
	t.Helper()
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "no-pods", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}},
	}
	if _, err := env.Client.CoreV1().ResourceQuotas(ns).Create(t.Context(), quota, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		q, err := env.Client.CoreV1().ResourceQuotas(ns).Get(ctx, quota.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		_, counted := q.Status.Used[corev1.ResourcePods]
		return counted, nil
	})
	if err != nil {
		t.Fatalf("resource quota %s/%s never counted: %v", ns, quota.Name, err)
	}
}
