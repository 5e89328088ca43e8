package export

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// ArgoCDOptions configure an Argo CD export.
type ArgoCDOptions struct {
	// Namespace holds the Applications; default argocd.
	Namespace string
	// Project is the Argo CD project of the Applications; default default.
	Project string
	// Server is the API server URL of the destination cluster, as Argo CD knows it; empty
	// takes it from the kubeconfig context of kaji.yaml's cluster.
	Server string
	// Kubeconfig and KubeContext override kaji.yaml's cluster, as kaji's flags do.
	Kubeconfig, KubeContext string
	// GitRepo is the URL of the Git repository that holds the local charts, and GitRevision
	// the revision to take them at (default HEAD); without GitRepo, releases of local charts
	// are listed, not written.
	GitRepo, GitRevision string
}

// DefaultArgoCDNamespace is where Argo CD runs unless told otherwise.
const DefaultArgoCDNamespace = "argocd"

// inCluster is Argo CD's name for the cluster it runs in.
const inCluster = "https://kubernetes.default.svc"

// Argo CD's API version and its sync-wave annotation.
const (
	argoAPI      = "argoproj.io/v1alpha1"
	syncWaveKey  = "argocd.argoproj.io/sync-wave"
	argoHelmNote = "Argo CD renders the chart with helm template and applies the objects itself: the release keeps no Helm history from now on"
)

type applicationSpec struct {
	Project     string          `json:"project"`
	Source      appSource       `json:"source"`
	Destination appDestination  `json:"destination"`
	SyncPolicy  *appSyncPolicy  `json:"syncPolicy,omitempty"`
	Ignore      []appIgnoreDiff `json:"ignoreDifferences,omitempty"`
}

type appSource struct {
	RepoURL        string  `json:"repoURL"`
	Chart          string  `json:"chart,omitempty"`
	Path           string  `json:"path,omitempty"`
	TargetRevision string  `json:"targetRevision"`
	Helm           appHelm `json:"helm"`
}

type appHelm struct {
	ReleaseName  string         `json:"releaseName"`
	ValuesObject map[string]any `json:"valuesObject,omitempty"`
}

type appDestination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace"`
}

type appSyncPolicy struct {
	SyncOptions []string `json:"syncOptions,omitempty"`
}

type appIgnoreDiff struct {
	Group        string   `json:"group,omitempty"`
	Kind         string   `json:"kind"`
	Name         string   `json:"name,omitempty"`
	JSONPointers []string `json:"jsonPointers"`
}

// ArgoCD exports the releases of in as Argo CD Applications, one per release, with a sync
// wave per depth of needs, a kustomization.yaml that lists them and a README.md.
func ArgoCD(ctx context.Context, in Input, opts ArgoCDOptions) (*Result, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultArgoCDNamespace
	}
	if opts.Project == "" {
		opts.Project = "default"
	}
	if opts.GitRevision == "" {
		opts.GitRevision = "HEAD"
	}
	rels, notes, err := prepare(ctx, in)
	if err != nil {
		return nil, err
	}
	res := in.Resolved
	out := &Result{Engine: "argocd", Project: res.Project, Environment: res.Environment}
	dest, destNote := destination(res, opts)
	out.Notes = append(argoGeneralNotes(res), notes...)
	if destNote != "" {
		out.Notes = append(out.Notes, Note{Topic: "destination", Text: destNote})
	}
	for _, r := range rels {
		app, note := application(res.Project, r, opts, dest)
		out.Notes = append(out.Notes, note...)
		if app == nil {
			continue
		}
		if err := addObject(out, res.Environment, *app); err != nil {
			return nil, err
		}
	}
	if err := finish(out, readmeArgoCD); err != nil {
		return nil, err
	}
	return out, nil
}

// application is the Application of r, or nil when r cannot have one, with the notes.
func application(project string, r Release, opts ArgoCDOptions, dest appDestination) (*object, []Note) {
	var notes []Note
	note := func(topic, format string, args ...any) {
		notes = append(notes, Note{Release: r.Name, Topic: topic, Text: fmt.Sprintf(format, args...)})
	}
	src := appSource{Chart: r.Source.Chart, TargetRevision: r.Source.Version, Helm: appHelm{ReleaseName: r.Name, ValuesObject: r.Values}}
	switch r.Source.Kind {
	case SourceRepo:
		src.RepoURL = r.Source.URL
	case SourceOCI:
		src.RepoURL = strings.TrimPrefix(r.Source.URL, "oci://")
		if r.Source.Digest != "" {
			note("version", "Argo CD takes chart version %s by its tag; it cannot pin kaji.lock's digest %s", r.Source.Version, r.Source.Digest)
		}
	case SourceLocal:
		if opts.GitRepo == "" {
			note("local chart", "not exported: its chart %s is on disk, and Argo CD reads charts from a repository; commit it to Git, then export again with --git-repo URL", r.Source.Chart)
			return nil, notes
		}
		src.Chart, src.Path, src.RepoURL, src.TargetRevision = "", strings.TrimPrefix(r.Source.Chart, "./"), opts.GitRepo, opts.GitRevision
	}
	if src.TargetRevision == "" {
		src.TargetRevision = "*"
	}
	for _, s := range r.Secrets {
		note("secrets", "left out of valuesObject, since Argo CD reads no values from a Secret: %s; provide it with a config management plugin (such as argocd-vault-plugin) or an operator that writes the objects", s.Describe())
	}
	if r.Wait != nil && !*r.Wait {
		note("wait", "Argo CD waits for the objects' health before the next sync wave, where kaji.yaml says not to wait")
	}
	if r.RollbackOnFailure != nil && *r.RollbackOnFailure {
		note("rollbackOnFailure", "Argo CD does not roll a failed sync back; roll back with argocd app rollback")
	}
	if r.CRDs == spec.CRDsSkip {
		note("crds", "Argo CD applies a chart's crds/ directory; kaji.yaml skips it: set helm.skipCrds")
	}
	d := dest
	d.Namespace = r.Namespace
	s := applicationSpec{Project: opts.Project, Source: src, Destination: d}
	if r.CreateNamespace {
		s.SyncPolicy = &appSyncPolicy{SyncOptions: []string{"CreateNamespace=true"}}
	}
	for _, ig := range r.Ignore {
		rule := appIgnoreDiff{Group: ig.Group, Kind: ig.Kind, Name: ig.Name}
		for _, p := range ig.Paths {
			rule.JSONPointers = append(rule.JSONPointers, p.String())
		}
		s.Ignore = append(s.Ignore, rule)
	}
	labels := map[string]string{}
	for k, v := range r.Labels {
		labels[k] = v
	}
	labels[release.ProjectLabel] = project
	meta := objectMeta{Name: r.Name, Namespace: opts.Namespace, Labels: labels,
		Annotations: map[string]string{syncWaveKey: strconv.Itoa(r.Depth)}}
	return &object{APIVersion: argoAPI, Kind: "Application", Metadata: meta, Spec: s}, notes
}

// destination finds the cluster the Applications go to, offline: --server, else the server
// of the kubeconfig context, else a placeholder with a note.
func destination(res *spec.Resolved, opts ArgoCDOptions) (appDestination, string) {
	if opts.Server != "" {
		return appDestination{Server: opts.Server}, ""
	}
	if res.Cluster.EKS != nil && opts.Kubeconfig == "" && opts.KubeContext == "" {
		return appDestination{Name: res.Cluster.EKS.Name}, fmt.Sprintf("the destination is the cluster registered in Argo CD under the name %s (the EKS cluster of kaji.yaml, whose endpoint the export does not look up): register it with argocd cluster add, or export again with --server URL", res.Cluster.EKS.Name)
	}
	kubeconfig, kubeContext := res.Cluster.Kubeconfig, res.Cluster.KubeContext
	if opts.Kubeconfig != "" {
		kubeconfig = opts.Kubeconfig
	}
	if opts.KubeContext != "" {
		kubeContext = opts.KubeContext
	}
	if kubeconfig != "" || kubeContext != "" {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = kubeconfig
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
		if err == nil {
			return appDestination{Server: cfg.Host}, ""
		}
		return appDestination{Server: inCluster}, fmt.Sprintf("the kubeconfig gives no server (%v): the destination is a placeholder, %s (the cluster Argo CD runs in); export again with --server URL", err, inCluster)
	}
	return appDestination{Server: inCluster}, fmt.Sprintf("kaji.yaml names no cluster: the destination is %s, the cluster Argo CD runs in; export again with --server URL or --kube-context for another", inCluster)
}

// argoGeneralNotes are the differences that hold for every release.
func argoGeneralNotes(res *spec.Resolved) []Note {
	notes := []Note{
		{Topic: "take-over", Text: argoHelmNote + ". The Helm release's storage Secrets stay, orphaned: kaji plan and kaji status keep reading the last revision kaji applied, not what Argo CD syncs; delete them (kubectl delete secret -l owner=helm,name=RELEASE) once Argo CD is in charge, and kaji plan then shows the releases as not installed"},
		{Topic: "hooks", Text: "chart hooks become Argo CD sync hooks (helm.sh/hook pre-install and pre-upgrade run as PreSync, post-install and post-upgrade as PostSync); hook weights are kept, but install-only and upgrade-only hooks run on every sync"},
		{Topic: "needs", Text: "needs become sync waves (argocd.argoproj.io/sync-wave), which order the Applications only when an app of apps syncs them together"},
		{Topic: "maxHistory", Text: "no counterpart: Argo CD keeps its own sync history (spec.revisionHistoryLimit)"},
	}
	if res.Environment != "" {
		notes = append(notes, Note{Topic: "environment", Text: fmt.Sprintf("this export is environment %s alone; export each environment to its own directory", res.Environment)})
	}
	return notes
}

// readmeArgoCD is the README.md of an Argo CD export.
func readmeArgoCD(r *Result) []byte {
	return readme(r, []string{
		"Read every file. The Applications hold the values kaji merges from kaji.yaml and its values files, except those that hold a secret (see Notes): Argo CD cannot read those from a Secret.",
		"Stop running `kaji apply` for this project (take it out of CI).",
		"Apply the Applications: `kubectl apply -k .` in Argo CD's cluster, or commit this directory where an app of apps reads it.",
		"Watch Argo CD sync them: `argocd app list`, or `kubectl get applications -n argocd -w`, until every one is Synced and Healthy.",
		"Delete the Helm release storage Secrets that kaji's releases leave behind (see Notes), since Argo CD keeps no Helm release.",
	})
}
