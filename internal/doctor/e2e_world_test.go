package doctor_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/awssim/ekstest"
	"kaji.dev/kaji/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Fixture facts of ../awssim/testdata/fixture.yaml.
const (
	fixturePath = "../awssim/testdata/fixture.yaml"
	aliceKey    = "AKIAALICE00000000001"
	aliceARN    = "arn:aws:iam::111122223333:user/alice"
	deployerARN = "arn:aws:iam::111122223333:role/platform/kaji-deployer"
	canonical   = "arn:aws:iam::111122223333:role/kaji-deployer"
	sessionARN  = "arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-e2e-user"
	region      = "eu-west-1"
)

// world is one simulator, token webhook and kube-apiserver shared by the scenarios: the
// API server authenticates bearer tokens with the webhook, which plays EKS's
// aws-iam-authenticator for the cluster "prod".
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

// useSim points the AWS SDK at the simulator through the environment, as a user's shell
// would point it at AWS, with alice's access key.
func (w *world) useSim(t *testing.T) {
	t.Helper()
	env, err := w.sim.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "KUBECONFIG"} {
		t.Setenv(k, "")
	}
	creds, err := w.sim.CredentialsEnv(aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range creds {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// updateCluster changes prod for one test.
func (w *world) updateCluster(t *testing.T, fn func(*awssim.ClusterConfig)) {
	t.Helper()
	var old awssim.ClusterConfig
	var copyErr error
	if err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) {
		var b []byte
		if b, copyErr = json.Marshal(c); copyErr == nil {
			copyErr = json.Unmarshal(b, &old)
		}
		fn(c)
	}); err != nil {
		t.Fatal(err)
	}
	if copyErr != nil {
		t.Fatalf("copy cluster: %v", copyErr)
	}
	t.Cleanup(func() {
		if err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) { *c = old }); err != nil {
			t.Error(err)
		}
	})
}

// setDeployerEntry replaces the deployer's access entry for one test; nil drops it.
func (w *world) setDeployerEntry(t *testing.T, e *awssim.AccessEntryConfig) {
	t.Helper()
	w.updateCluster(t, func(c *awssim.ClusterConfig) {
		var entries []awssim.AccessEntryConfig
		for _, x := range c.AccessEntries {
			if x.PrincipalARN != deployerARN {
				entries = append(entries, x)
			}
		}
		if e != nil {
			entries = append(entries, *e)
		}
		c.AccessEntries = entries
	})
	w.bind(t)
}

// bind makes the RBAC that stands in for the access policies of the current entries.
func (w *world) bind(t *testing.T) {
	t.Helper()
	if err := w.sim.BindAccessPolicies(ctxT(t), w.env.Client, "prod"); err != nil {
		t.Fatal(err)
	}
}

// setAWSAuth writes kube-system/aws-auth with the admin client for one test.
func (w *world) setAWSAuth(t *testing.T, roles ...awssim.RoleMapping) {
	t.Helper()
	data, err := awssim.AWSAuth{MapRoles: roles}.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.applyConfigMap(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: data})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := w.env.Client.CoreV1().ConfigMaps("kube-system").Delete(ctx, "aws-auth", metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	})
}

func (w *world) applyConfigMap(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	cms := w.env.Client.CoreV1().ConfigMaps(cm.Namespace)
	if _, err := cms.Create(ctxT(t), cm, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		if _, err := cms.Update(ctxT(t), cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
}

// namespace creates a namespace with a fixed name, so that golden files can show it.
func (w *world) namespace(t *testing.T, name string) string {
	t.Helper()
	_, err := w.env.Client.CoreV1().Namespaces().Create(ctxT(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return name
}
