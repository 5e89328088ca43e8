package doctor

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/spec"
)

// The exec plugin API versions client-go accepts; v1alpha1 was removed in Kubernetes 1.24.
const (
	execV1alpha1 = "client.authentication.k8s.io/v1alpha1"
	execV1beta1  = "client.authentication.k8s.io/v1beta1"
	execV1       = "client.authentication.k8s.io/v1"
)

// kubeconfigCheck checks the kubeconfig kaji would load: the file, the context, and the
// exec plugin of its user. It also learns which EKS cluster an `aws eks get-token` plugin
// names, so that the AWS checks can run for it.
type kubeconfigCheck struct {
	lookPath func(string) (string, error)
	getenv   func(string) string
}

func (c kubeconfigCheck) run(_ context.Context, s *State) Finding {
	t := s.Target
	if t.viaEKS() {
		e := *t.Resolved.Cluster.EKS
		s.EKS, s.EKSFrom = &e, "cluster.eks in kaji.yaml"
		return skipped("kaji.yaml sets cluster.eks: kaji connects to EKS without a kubeconfig, aws CLI or exec plugin")
	}
	path := t.Kubeconfig
	if path == "" {
		path = t.Resolved.Cluster.Kubeconfig
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	where := "the default kubeconfig (KUBECONFIG or ~/.kube/config)"
	if path != "" {
		where = path
		if _, err := os.Stat(path); err != nil {
			s.RESTProblem = "there is no kubeconfig (see kubeconfig)"
			return Finding{Status: Fail, Summary: fmt.Sprintf("kubeconfig %s cannot be read: %v", path, err),
				Fix: &Fix{Summary: "point cluster.kubeconfig in kaji.yaml (or --kubeconfig) at an existing kubeconfig, or write one",
					Commands: []string{"aws eks update-kubeconfig --name CLUSTER --region REGION --kubeconfig " + path}}}
		}
		rules.ExplicitPath = path
	}
	name := t.Context
	if name == "" {
		name = t.Resolved.Cluster.KubeContext
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: name})
	raw, err := loader.RawConfig()
	if err != nil {
		s.RESTProblem = "the kubeconfig cannot be loaded (see kubeconfig)"
		return Finding{Status: Fail, Summary: fmt.Sprintf("load %s: %v", where, err),
			Fix: &Fix{Summary: "repair the kubeconfig's YAML, or write a fresh one", Commands: []string{"aws eks update-kubeconfig --name CLUSTER --region REGION"}}}
	}
	if name == "" {
		name = raw.CurrentContext
	}
	kctx, found := raw.Contexts[name]
	if name == "" || !found {
		s.RESTProblem = "the kubeconfig context does not exist (see kubeconfig)"
		known := slices.Sorted(maps.Keys(raw.Contexts))
		summary := fmt.Sprintf("context %q is not in %s", name, where)
		if name == "" {
			summary = fmt.Sprintf("no context selected in %s", where)
		}
		return Finding{Status: Fail, Summary: summary, Evidence: []string{fmt.Sprintf("contexts: %s", orNone(known))},
			Fix: &Fix{Summary: "set cluster.kubeContext in kaji.yaml (or --kube-context) to one of the contexts, or add the context",
				Commands: []string{"kubectl config get-contexts", "aws eks update-kubeconfig --name CLUSTER --region REGION --alias " + orDefault(name, "CONTEXT")}}}
	}
	evidence := []string{fmt.Sprintf("context %s in %s: cluster %s, user %s", name, where, kctx.Cluster, kctx.AuthInfo)}
	server := ""
	if cl := raw.Clusters[kctx.Cluster]; cl != nil {
		server = cl.Server
		s.Server = server
		evidence = append(evidence, "server "+server)
	}
	user := raw.AuthInfos[kctx.AuthInfo]
	var problems []string
	var fix *Fix
	if user != nil && user.Exec != nil {
		ex := user.Exec
		evidence = append(evidence, fmt.Sprintf("exec plugin %s %s (apiVersion %s)", ex.Command, strings.Join(ex.Args, " "), ex.APIVersion))
		if e, opts := c.eksOfPlugin(ex, server); e != nil {
			s.EKS, s.EKSFrom, s.AWSOptions = e, "the kubeconfig's exec plugin", opts
		}
		switch ex.APIVersion {
		case execV1beta1, execV1:
		case execV1alpha1:
			problems = append(problems, fmt.Sprintf("exec plugin: invalid apiVersion %q: client-go dropped it in Kubernetes 1.24", ex.APIVersion))
		default:
			problems = append(problems, fmt.Sprintf("exec plugin: invalid apiVersion %q: client-go accepts %s and %s", ex.APIVersion, execV1beta1, execV1))
		}
		if found, err := c.lookPath(ex.Command); err != nil {
			problems = append(problems, fmt.Sprintf("exec plugin: executable %s not found on PATH", ex.Command))
		} else {
			evidence = append(evidence, fmt.Sprintf("%s is %s", ex.Command, found))
		}
		if len(problems) > 0 {
			fix = c.execFix(kctx.AuthInfo, name, ex, s.EKS)
		}
	} else if user != nil {
		evidence = append(evidence, "user authenticates with "+authKind(user))
	}
	if len(problems) > 0 {
		s.RESTProblem = "the kubeconfig's exec plugin cannot make credentials (see kubeconfig)"
		return Finding{Status: Fail, Summary: strings.Join(problems, "; "), Evidence: evidence, Fix: fix}
	}
	rc, err := loader.ClientConfig()
	if err != nil {
		s.RESTProblem = "the kubeconfig context cannot be used (see kubeconfig)"
		return Finding{Status: Fail, Summary: fmt.Sprintf("context %s: %v", name, err), Evidence: evidence,
			Fix: &Fix{Summary: "repair the context's cluster and user entries, or write them afresh", Commands: []string{"aws eks update-kubeconfig --name CLUSTER --region REGION --alias " + name}}}
	}
	s.REST = rc
	return ok(fmt.Sprintf("context %s", name), evidence...)
}

// execFix is the corrected user entry and how to get it.
func (c kubeconfigCheck) execFix(user, context string, ex *clientcmdapi.ExecConfig, e *spec.EKS) *Fix {
	fixed := map[string]any{"apiVersion": execV1beta1, "command": ex.Command}
	if len(ex.Args) > 0 {
		fixed["args"] = ex.Args
	}
	if len(ex.Env) > 0 {
		fixed["env"] = ex.Env
	}
	text, err := yaml.Marshal(map[string]any{"users": []any{map[string]any{"name": user, "user": map[string]any{"exec": fixed}}}})
	if err != nil {
		text = []byte("# " + err.Error())
	}
	f := &Fix{
		Summary: fmt.Sprintf("use exec apiVersion %s and put %s on PATH (for aws, install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html); "+
			"or drop the kubeconfig: with cluster.eks in kaji.yaml, kaji signs EKS tokens itself", execV1beta1, ex.Command),
		Snippet: &Snippet{Format: "yaml", File: "kubeconfig (the user entry)", Text: string(text)},
	}
	if e != nil {
		f.Commands = append(f.Commands, fmt.Sprintf("aws eks update-kubeconfig --name %s --region %s --alias %s", e.Name, e.Region, context))
		eksYAML := fmt.Sprintf("cluster:\n  eks:\n    name: %s\n    region: %s\n", e.Name, e.Region)
		if e.RoleARN != "" {
			eksYAML += "    roleArn: " + e.RoleARN + "\n"
		}
		f.Summary += " (kaji.yaml: " + strings.ReplaceAll(strings.TrimSpace(eksYAML), "\n", " ") + ")"
	}
	return f
}

var eksHostRegion = regexp.MustCompile(`\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com(?:\.cn)?$`)

// eksOfPlugin recognises `aws eks get-token` and `aws-iam-authenticator token` and returns the
// cluster, region, role and profile they use.
func (c kubeconfigCheck) eksOfPlugin(ex *clientcmdapi.ExecConfig, server string) (*spec.EKS, []func(*config.LoadOptions) error) {
	env := func(k string) string {
		for _, e := range ex.Env {
			if e.Name == k {
				return e.Value
			}
		}
		return c.getenv(k)
	}
	var e spec.EKS
	switch base := filepath.Base(ex.Command); {
	case base == "aws" && slices.Contains(ex.Args, "get-token"):
		e.Name = flagValue(ex.Args, "--cluster-name")
		e.RoleARN = flagValue(ex.Args, "--role-arn")
		e.Region = flagValue(ex.Args, "--region")
	case base == "aws-iam-authenticator" && slices.Contains(ex.Args, "token"):
		e.Name = flagValue(ex.Args, "-i", "--cluster-id")
		e.RoleARN = flagValue(ex.Args, "-r", "--role")
		e.Region = flagValue(ex.Args, "--region")
	default:
		return nil, nil
	}
	if e.Name == "" {
		return nil, nil
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if e.Region == "" {
			e.Region = env(k)
		}
	}
	if e.Region == "" {
		if m := eksHostRegion.FindStringSubmatch(strings.TrimSuffix(strings.TrimPrefix(server, "https://"), "/")); m != nil {
			e.Region = m[1]
		}
	}
	var opts []func(*config.LoadOptions) error
	if p := flagValue(ex.Args, "--profile"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	} else if p := env("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	return &e, opts
}

// flagValue finds --name value or --name=value in args.
func flagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return ""
}

func authKind(u *clientcmdapi.AuthInfo) string {
	switch {
	case u.Token != "" || u.TokenFile != "":
		return "a bearer token"
	case len(u.ClientCertificateData) > 0 || u.ClientCertificate != "":
		return "a client certificate"
	case u.AuthProvider != nil:
		return "the auth provider " + u.AuthProvider.Name
	case u.Username != "":
		return "basic authentication"
	}
	return "nothing (anonymous)"
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
