package doctor_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/testenv"
)

// setTrust replaces the deployer role's trust policy for one test.
func (w *world) setTrust(t *testing.T, policy string) {
	t.Helper()
	var doc awssim.PolicyDocument
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatal(err)
	}
	var old awssim.PolicyDocument
	if err := w.sim.UpdateRole(deployerARN, func(r *awssim.Role) { old, r.TrustPolicy = r.TrustPolicy, doc }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.sim.UpdateRole(deployerARN, func(r *awssim.Role) { r.TrustPolicy = old }); err != nil {
			t.Error(err)
		}
	})
}

const (
	editPolicy         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	clusterAdminPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

// awsAuthCopy writes aws-auth as `kubectl get configmap aws-auth -o yaml` would, as a cluster
// admin hands it to someone who cannot read it.
func (w *world) awsAuthCopy(t *testing.T) string {
	t.Helper()
	cm, err := w.env.Client.CoreV1().ConfigMaps("kube-system").Get(ctxT(t), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.APIVersion, cm.Kind = "v1", "ConfigMap"
	text, err := yaml.Marshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// applyManifest creates or replaces, as the cluster admin, the ConfigMaps and RBAC objects of
// a multi-document YAML, as `kubectl apply -f` would.
func (w *world) applyManifest(t *testing.T, text string) {
	t.Helper()
	ctx, c := ctxT(t), w.env.Client
	var bindings []rbacBinding
	rules := map[string][]rbacv1.PolicyRule{} // by "Kind/namespace/name"
	defer func() {
		if !t.Failed() {
			waitBindings(t, w.env, bindings, rules)
		}
	}()
	for _, doc := range strings.Split(text, "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode %s: %v", doc, err)
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			w.applyConfigMap(t, o)
		case *rbacv1.Role:
			rules["Role/"+o.Namespace+"/"+o.Name] = o.Rules
			_, err = c.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				_, err = c.RbacV1().Roles(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
			}
		case *rbacv1.RoleBinding:
			bindings = append(bindings, rbacBinding{o.Namespace, o.RoleRef, o.Subjects})
			_, err = c.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				_, err = c.RbacV1().RoleBindings(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
			}
		case *rbacv1.ClusterRole:
			rules["ClusterRole//"+o.Name] = o.Rules
			_, err = c.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				_, err = c.RbacV1().ClusterRoles().Update(ctx, o, metav1.UpdateOptions{})
			}
		case *rbacv1.ClusterRoleBinding:
			bindings = append(bindings, rbacBinding{"", o.RoleRef, o.Subjects})
			_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				_, err = c.RbacV1().ClusterRoleBindings().Update(ctx, o, metav1.UpdateOptions{})
			}
		default:
			t.Fatalf("applyManifest: unexpected %T", obj)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// runEKSCommands carries out `aws eks create-access-entry` and `aws eks
// associate-access-policy` commands, as doctor prints them, on the simulator (which serves
// only the read side of the EKS API).
func (w *world) runEKSCommands(t *testing.T, commands []string) {
	t.Helper()
	for _, cmd := range commands {
		args := strings.Fields(cmd)
		if len(args) < 3 || args[0] != "aws" || args[1] != "eks" {
			t.Fatalf("not an aws eks command: %s", cmd)
		}
		flags := map[string]string{}
		for i := 3; i+1 < len(args); i += 2 {
			flags[args[i]] = args[i+1]
		}
		if flags["--cluster-name"] != "prod" || flags["--region"] != region {
			t.Fatalf("command for another cluster: %s", cmd)
		}
		principal := flags["--principal-arn"]
		err := w.sim.UpdateCluster("prod", func(c *awssim.ClusterConfig) {
			i := slices.IndexFunc(c.AccessEntries, func(e awssim.AccessEntryConfig) bool { return e.PrincipalARN == principal })
			switch args[2] {
			case "create-access-entry":
				if i < 0 {
					c.AccessEntries = append(c.AccessEntries, awssim.AccessEntryConfig{PrincipalARN: principal, Type: flags["--type"]})
				}
			case "associate-access-policy":
				if i < 0 {
					t.Errorf("associate-access-policy before create-access-entry: %s", cmd)
					return
				}
				scope := awssim.AccessScope{}
				for _, kv := range strings.SplitN(flags["--access-scope"], ",", 2) {
					k, v, _ := strings.Cut(kv, "=")
					switch k {
					case "type":
						scope.Type = v
					case "namespaces":
						scope.Namespaces = strings.Split(v, ",")
					}
				}
				e := &c.AccessEntries[i]
				e.AccessPolicies = slices.DeleteFunc(slices.Clone(e.AccessPolicies), func(p awssim.AccessPolicyAssociation) bool { return p.PolicyARN == flags["--policy-arn"] })
				e.AccessPolicies = append(e.AccessPolicies, awssim.AccessPolicyAssociation{PolicyARN: flags["--policy-arn"], AccessScope: scope})
			default:
				t.Errorf("unexpected command %s", cmd)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.bind(t)
}

// execKubeconfig writes a kubeconfig for the test API server whose user runs `aws eks
// get-token` with exec apiVersion; it writes to paths[0] when given, else to a new file.
func (w *world) execKubeconfig(t *testing.T, apiVersion string, paths ...string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["prod"] = &clientcmdapi.Cluster{Server: w.env.Config.Host, CertificateAuthorityData: w.env.Config.CAData}
	kc.AuthInfos["prod"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion: apiVersion, Command: "aws",
		Args:            []string{"--region", region, "eks", "get-token", "--cluster-name", "prod", "--output", "json"},
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
	kc.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "prod"}
	kc.CurrentContext = "prod"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if len(paths) > 0 {
		path = paths[0]
	}
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeAWSCLI puts in dir an `aws` that prints, as `aws eks get-token` does, an
// ExecCredential with a token for prod signed with alice's keys.
func (w *world) fakeAWSCLI(t *testing.T, dir string) {
	t.Helper()
	cfg, err := eks.LoadAWSConfig(ctxT(t), region)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := eks.NewTokenSource(cfg, "prod", nil).Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := json.Marshal(map[string]any{
		"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1",
		"status": map[string]any{"token": tok.Value(), "expirationTimestamp": tok.Expiry.UTC().Format(time.RFC3339)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// printf is a shell builtin: PATH holds nothing but this aws.
	script := "#!/bin/sh\nprintf '%s\\n' '" + string(cred) + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func ptr[T any](v T) *T { return &v }

// rbacBinding is a RoleBinding (in namespace) or ClusterRoleBinding (namespace "") that
// applyManifest wrote.
type rbacBinding struct {
	namespace string
	role      rbacv1.RoleRef
	subjects  []rbacv1.Subject
}

// waitBindings waits until the API server's authorizer grants every subject of bindings what
// the rules of its role, when the same manifest wrote it, allow: RBAC objects take effect a
// moment after they are written, and the scenarios use them at once.
func waitBindings(t *testing.T, env *testenv.Env, bindings []rbacBinding, rules map[string][]rbacv1.PolicyRule) {
	t.Helper()
	for _, b := range bindings {
		ns := ""
		if b.role.Kind == "Role" {
			ns = b.namespace
		}
		for _, r := range rules[b.role.Kind+"/"+ns+"/"+b.role.Name] {
			for _, s := range b.subjects {
				user, groups := s.Name, []string(nil)
				if s.Kind == "Group" {
					user, groups = "someone", []string{s.Name}
				}
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						for _, v := range r.Verbs {
							if v == "*" {
								v = "get"
							}
							env.WaitAllowed(t, user, groups, authzv1.ResourceAttributes{Namespace: b.namespace, Group: g, Resource: res, Verb: v})
						}
					}
				}
			}
		}
	}
}
