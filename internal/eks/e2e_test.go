package eks_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/awssim/ekstest"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/testenv"
)

// world is one simulator, token webhook and kube-apiserver shared by the end-to-end tests.
// The API server authenticates bearer tokens with the webhook, which plays the EKS
// control plane's aws-iam-authenticator for the cluster "prod"; client certificates (the
// test's admin client) keep working beside it.
type world struct {
	sim  *awssim.Server
	hook *awssim.Webhook
	env  *testenv.Env
}

var shared = ekstest.Shared{Fixture: fixturePath, Cluster: "prod"}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if err := shared.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// e2e returns the shared world, starting it on first use; it skips under -short.
func e2e(t *testing.T) *world {
	t.Helper()
	w := shared.Get(t)
	return &world{sim: w.Sim, hook: w.Hook, env: w.Env}
}

// setMode sets prod's authentication mode for one test.
func (w *world) setMode(t *testing.T, mode string) {
	t.Helper()
	var old string
	if err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) { old, c.AuthenticationMode = c.AuthenticationMode, mode }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) { c.AuthenticationMode = old }); err != nil {
			t.Error(err)
		}
	})
}

// dropAccessEntry removes prod's access entry for principal for one test.
func (w *world) dropAccessEntry(t *testing.T, principal string) {
	t.Helper()
	var old []awssim.AccessEntryConfig
	err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) {
		old = c.AccessEntries
		c.AccessEntries = nil
		for _, e := range old {
			if e.PrincipalARN != principal {
				c.AccessEntries = append(c.AccessEntries, e)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) { c.AccessEntries = old }); err != nil {
			t.Error(err)
		}
	})
}

// setAWSAuth writes kube-system/aws-auth with the admin client for one test.
func (w *world) setAWSAuth(t *testing.T, roles ...awssim.RoleMapping) {
	t.Helper()
	data, err := awssim.AWSAuth{MapRoles: roles}.Data()
	if err != nil {
		t.Fatal(err)
	}
	cms := w.env.Client.CoreV1().ConfigMaps("kube-system")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: data}
	ctx := ctxT(t)
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := cms.Delete(ctx, "aws-auth", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	})
}

// connect connects as kaji does: AWS from the environment, eks.Connect, cluster.FromConfig.
func connect(t *testing.T, w *world) kubernetes.Interface {
	t.Helper()
	useSim(t, w.sim, aliceKey)
	conn, err := eks.Connect(ctxT(t), deployer(), eks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cluster.FromConfig(conn.Kubeconfig, conn.Context, conn.REST)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// whoAmI lists namespaces and asks the API server who it thinks the caller is.
func whoAmI(t *testing.T, cs kubernetes.Interface) (authnv1.UserInfo, error) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
		return authnv1.UserInfo{}, err
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

// lastReview is the webhook's latest review.
func (w *world) lastReview(t *testing.T) awssim.Review {
	t.Helper()
	r := w.hook.Reviews()
	if len(r) == 0 {
		t.Fatal("the API server never asked the token webhook")
	}
	return r[len(r)-1]
}

// wantUnauthorized checks that the API server said 401 and the webhook said why.
func (w *world) wantUnauthorized(t *testing.T, err error, reason string) {
	t.Helper()
	if !apierrors.IsUnauthorized(err) {
		t.Fatalf("error = %v, want 401 Unauthorized", err)
	}
	r := w.lastReview(t)
	if r.Authenticated || r.ARN != "arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-e2e-user" || !strings.Contains(r.Reason, reason) {
		t.Errorf("review = %+v, want a rejection of the deployer session saying %q", r, reason)
	}
}

func TestE2EAccessEntryListsNamespaces(t *testing.T) {
	w := e2e(t)
	user, err := whoAmI(t, connect(t, w))
	if err != nil {
		t.Fatal(err)
	}
	if user.Username != "arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-e2e-user" ||
		!strings.Contains(strings.Join(user.Groups, ","), "awssim:AmazonEKSClusterAdminPolicy") {
		t.Errorf("API server sees %+v", user)
	}
	if r := w.lastReview(t); r.Source != "access entry "+deployerARN {
		t.Errorf("review = %+v", r)
	}
	// The admin client (client certificates) still works beside the webhook.
	if _, err := w.env.Client.CoreV1().Namespaces().Get(ctxT(t), "default", metav1.GetOptions{}); err != nil {
		t.Errorf("admin client: %v", err)
	}
}

func TestE2ETrustPolicyDenies(t *testing.T) {
	w := e2e(t)
	useSim(t, w.sim, aliceKey)
	target := deployer()
	target.RoleARN = "arn:aws:iam::111122223333:role/locked"
	_, err := eks.Connect(ctxT(t), target, eks.Options{})
	connectErr(t, err, eks.StepAssumeRole, eks.KindAccessDenied)
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole") {
		t.Errorf("error = %v", err)
	}
}

func TestE2EAWSAuth(t *testing.T) {
	w := e2e(t)
	w.setMode(t, awssim.ModeConfigMap)
	for _, c := range []struct {
		name    string
		rolearn string
		ok      bool
	}{
		// The form EKS documents: the role ARN without its path.
		{"role ARN without path", "arn:aws:iam::111122223333:role/kaji-deployer", true},
		{"role ARN with its path", deployerARN, false},
		{"assumed-role ARN", "arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-e2e-user", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.setAWSAuth(t, awssim.RoleMapping{RoleARN: c.rolearn, Username: "kaji:{{SessionName}}", Groups: []string{"system:masters"}})
			user, err := whoAmI(t, connect(t, w))
			if !c.ok {
				w.wantUnauthorized(t, err, "is not mapped in aws-auth of this CONFIG_MAP cluster")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if user.Username != "kaji:kaji-e2e-user" || !strings.Contains(strings.Join(user.Groups, ","), "system:masters") {
				t.Errorf("API server sees %+v", user)
			}
		})
	}
}

func TestE2EAPIModeIgnoresAWSAuth(t *testing.T) {
	w := e2e(t)
	w.dropAccessEntry(t, deployerARN)
	w.setAWSAuth(t, awssim.RoleMapping{RoleARN: "arn:aws:iam::111122223333:role/kaji-deployer", Username: "kaji:{{SessionName}}", Groups: []string{"system:masters"}})

	// API_AND_CONFIG_MAP falls back to the aws-auth entry ...
	if _, err := whoAmI(t, connect(t, w)); err != nil {
		t.Fatalf("API_AND_CONFIG_MAP with an aws-auth entry: %v", err)
	}
	if r := w.lastReview(t); !strings.HasPrefix(r.Source, "aws-auth mapRoles") {
		t.Errorf("review = %+v", r)
	}
	// ... API mode does not read it.
	w.setMode(t, awssim.ModeAPI)
	_, err := whoAmI(t, connect(t, w))
	w.wantUnauthorized(t, err, "is not mapped in access entries of this API cluster")
}
