package export

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// FluxOptions configure a Flux export.
type FluxOptions struct {
	// Namespace holds the HelmReleases, their sources and the Secrets they read; default
	// flux-system.
	Namespace string
	// Interval is how often Flux reconciles each HelmRelease and source; default 10m.
	Interval time.Duration
	// GitRepository names a Flux GitRepository, in Namespace, that holds the local charts;
	// empty leaves the releases of local charts out, listed in the notes.
	GitRepository string
}

// DefaultFluxNamespace is where Flux runs unless told otherwise.
const DefaultFluxNamespace = "flux-system"

// DefaultInterval is how often the engine reconciles unless told otherwise.
const DefaultInterval = 10 * time.Minute

// Flux exports the releases of in as Flux objects: one HelmRelease per release, one
// HelmRepository per chart repository, one OCIRepository per release of an OCI chart, a
// kustomization.yaml that lists them, and a README.md that says how to hand over.
func Flux(ctx context.Context, in Input, opts FluxOptions) (*Result, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultFluxNamespace
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	rels, notes, err := prepare(ctx, in)
	if err != nil {
		return nil, err
	}
	res := in.Resolved
	out := &Result{Engine: "flux", Project: res.Project, Environment: res.Environment}
	w := &fluxWriter{opts: opts, res: res, out: out, repos: map[string]bool{}}
	out.Notes = append(fluxGeneralNotes(res), notes...)
	for _, r := range rels {
		if err := w.release(r); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(w.repos) {
		w.repository(name)
	}
	if err := finish(out, readmeFlux); err != nil {
		return nil, err
	}
	return out, nil
}

type fluxWriter struct {
	opts  FluxOptions
	res   *spec.Resolved
	out   *Result
	repos map[string]bool
}

func (w *fluxWriter) note(rel, topic, format string, args ...any) {
	w.out.Notes = append(w.out.Notes, Note{Release: rel, Topic: topic, Text: fmt.Sprintf(format, args...)})
}

func (w *fluxWriter) add(o object) error {
	return addObject(w.out, w.res.Environment, o)
}

func (w *fluxWriter) meta(name string, labels map[string]string) objectMeta {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[release.ProjectLabel] = w.res.Project
	return objectMeta{Name: name, Namespace: w.opts.Namespace, Labels: l}
}

// release writes the HelmRelease of r, and its OCIRepository for an OCI chart.
func (w *fluxWriter) release(r Release) error {
	s := helmReleaseSpec{
		Interval:         duration(w.opts.Interval),
		ReleaseName:      r.Name,
		TargetNamespace:  r.Namespace,
		StorageNamespace: r.Namespace,
		Timeout:          duration(r.Timeout),
		MaxHistory:       r.MaxHistory,
		Values:           r.Values,
		DriftDetection:   hrDrift{Mode: "enabled"},
	}
	switch r.Source.Kind {
	case SourceRepo:
		w.repos[r.Source.RepoName] = true
		s.Chart = &hrChart{Spec: hrChartSpec{Chart: r.Source.Chart, Version: r.Source.Version,
			SourceRef: hrSourceRef{Kind: "HelmRepository", Name: r.Source.RepoName}}}
	case SourceOCI:
		if err := w.ociRepository(r); err != nil {
			return err
		}
		s.ChartRef = &hrSourceRef{Kind: "OCIRepository", Name: r.Name}
	case SourceLocal:
		if w.opts.GitRepository == "" {
			w.note(r.Name, "local chart", "not exported: its chart %s is on disk, and Flux reads charts from a source; commit it to Git, then export again with --git-repository NAME (a GitRepository in %s that holds it)%s",
				r.Source.Chart, w.opts.Namespace, w.neededBy(r.Name))
			return nil
		}
		s.Chart = &hrChart{Spec: hrChartSpec{Chart: r.Source.Chart, ReconcileStrategy: "Revision",
			SourceRef: hrSourceRef{Kind: "GitRepository", Name: w.opts.GitRepository}}}
		w.note(r.Name, "local chart", "reads chart %s from GitRepository %s/%s, which must hold it at that path", r.Source.Chart, w.opts.Namespace, w.opts.GitRepository)
	}
	for _, n := range r.Needs {
		s.DependsOn = append(s.DependsOn, hrDependency{Name: n})
	}
	w.lifecycle(r, &s)
	for _, ig := range r.Ignore {
		rule := hrIgnoreRule{Target: &hrIgnoreTarget{Group: ig.Group, Kind: ig.Kind, Name: ig.Name}}
		for _, p := range ig.Paths {
			rule.Paths = append(rule.Paths, p.String())
		}
		s.DriftDetection.Ignore = append(s.DriftDetection.Ignore, rule)
	}
	if len(r.Ignore) > 0 {
		w.note(r.Name, "ignoreDifferences", "Flux ignores these fields in drift detection, but an upgrade still writes what the chart renders for them, where kaji leaves them to their owner; to keep them out, add a postRenderers kustomize patch that removes them")
	}
	for _, sv := range r.Secrets {
		ref := hrValuesRef{Kind: "Secret", Name: sv.Secret, ValuesKey: sv.Key, TargetPath: sv.TargetPath, Literal: sv.TargetPath != ""}
		s.ValuesFrom = append(s.ValuesFrom, ref)
		w.out.Secrets = append(w.out.Secrets, sv)
	}
	return w.add(object{APIVersion: fluxHelmAPI, Kind: "HelmRelease", Metadata: w.meta(r.Name, r.Labels), Spec: s})
}

// lifecycle maps wait, rollbackOnFailure and crds to the install and upgrade settings.
func (w *fluxWriter) lifecycle(r Release, s *helmReleaseSpec) {
	s.Install.CreateNamespace = r.CreateNamespace
	switch {
	case r.Wait == nil:
		w.note(r.Name, "wait", "Flux waits until the objects are ready after each install and upgrade (up to timeout %s), where kaji apply waits only with --wait; set install.disableWait and upgrade.disableWait to keep kaji's default", duration(r.Timeout))
	case !*r.Wait:
		s.Install.DisableWait, s.Upgrade.DisableWait = true, true
	}
	switch {
	case r.RollbackOnFailure == nil:
		w.note(r.Name, "rollbackOnFailure", "kaji.yaml leaves it to kaji apply --rollback-on-failure; the export takes its default, off: a failed install or upgrade stays failed; set install.remediation and upgrade.remediation to roll back")
	case *r.RollbackOnFailure:
		s.Install.Remediation = &hrRemediation{RemediateLastFailure: true}
		s.Upgrade.Remediation = &hrRemediation{RemediateLastFailure: true, Strategy: "rollback"}
		w.note(r.Name, "rollbackOnFailure", "a failed install is uninstalled, as with kaji; the next install is Flux's own and lacks the %s label, so that kaji plan shows the release as made by helm until the label is put back (docs/gitops.md)", release.ProjectLabel)
	}
	switch r.CRDs {
	case spec.CRDsApply:
		s.Install.CRDs, s.Upgrade.CRDs = "CreateReplace", "CreateReplace"
	case spec.CRDsCreate:
		s.Install.CRDs, s.Upgrade.CRDs = "Create", "Skip"
	case spec.CRDsSkip:
		s.Install.CRDs, s.Upgrade.CRDs = "Skip", "Skip"
	}
}

// neededBy is ", and the releases that need it (a, b) wait for it forever" or "".
func (w *fluxWriter) neededBy(name string) string {
	var by []string
	for _, r := range w.res.Releases {
		if slices.Contains(r.Needs, name) {
			by = append(by, r.Name)
		}
	}
	if len(by) == 0 {
		return ""
	}
	return fmt.Sprintf("; until then %s, which depend on it, are not reconciled", strings.Join(by, ", "))
}

// ociRepository writes the OCIRepository of r's chart: Flux's API for OCI charts (a
// HelmRepository of type oci is in maintenance mode), one per release since it fixes the
// version.
func (w *fluxWriter) ociRepository(r Release) error {
	s := ociRepositorySpec{
		Interval:      duration(w.opts.Interval),
		URL:           r.Source.URL + "/" + r.Source.Chart,
		LayerSelector: ociLayerSelector{MediaType: helmChartMediaType, Operation: "copy"},
	}
	switch v := r.Source.Version; {
	case r.Source.Digest != "":
		s.Ref = ociRef{Digest: r.Source.Digest, Tag: v}
	case isExact(v):
		s.Ref = ociRef{Tag: v}
	case v == "":
		s.Ref = ociRef{SemVer: "*"}
	default:
		s.Ref = ociRef{SemVer: v}
	}
	if isECR(r.Source.URL) {
		s.Provider = "aws"
		w.note(r.Name, "registry", "the chart is in Amazon ECR: source-controller signs in with provider aws, so its service account needs an IAM role that may pull from the repository (IRSA or EKS Pod Identity)")
	}
	return w.add(object{APIVersion: fluxSourceAPI, Kind: "OCIRepository", Metadata: w.meta(r.Name, nil), Spec: s})
}

// repository writes the HelmRepository that kaji.yaml names name.
func (w *fluxWriter) repository(name string) {
	raw := w.res.Repositories[name]
	u, err := url.Parse(raw)
	if err == nil && u.User != nil {
		w.note("", "repository "+name, "its URL carries credentials, which the export leaves out: give the HelmRepository a secretRef to a Secret with username and password")
		u.User = nil
		raw = u.String()
	}
	// The errors of add come from encoding, which these fields cannot fail.
	_ = w.add(object{APIVersion: fluxSourceAPI, Kind: "HelmRepository", Metadata: w.meta(name, nil),
		Spec: helmRepositorySpec{Interval: duration(w.opts.Interval), URL: strings.TrimSuffix(raw, "/")}})
}

// fluxGeneralNotes are the differences that hold for every release.
func fluxGeneralNotes(res *spec.Resolved) []Note {
	notes := []Note{
		{Topic: "take-over", Text: fmt.Sprintf("Flux finds each release in its storage namespace and upgrades it in place on its first reconciliation: a new revision, with the same chart and values, and Flux's labels helm.toolkit.fluxcd.io/name and helm.toolkit.fluxcd.io/namespace on every object. Helm keeps the release's labels across upgrades and rollbacks, so the %s label stays and kaji plan and kaji status keep finding the release. A release that Flux installs anew (one kaji never applied, or one uninstalled after a failed install) lacks the label: docs/gitops.md says how to put it back", release.ProjectLabel)},
		{Topic: "forceConflicts", Text: "Flux upgrades with server-side apply and always takes the fields that other field managers own; kaji refuses unless forceConflicts is set"},
		{Topic: "crds", Text: "crds: apply becomes CreateReplace, which replaces a chart's CRDs on upgrade without kaji's checks of stored versions; create becomes Create on install and Skip on upgrade"},
		{Topic: "hooks", Text: "chart hooks run as with kaji: Flux runs Helm's install and upgrade"},
	}
	if res.Environment != "" {
		notes = append(notes, Note{Topic: "environment", Text: fmt.Sprintf("this export is environment %s alone; export each environment to its own directory, for the Flux of its cluster", res.Environment)})
	}
	return notes
}

// isExact reports whether v is one exact semantic version rather than a constraint.
func isExact(v string) bool {
	_, err := semver.StrictNewVersion(v)
	return err == nil
}

// isECR reports whether an oci:// registry path is in Amazon ECR.
func isECR(u string) bool {
	host, _, _ := strings.Cut(strings.TrimPrefix(u, "oci://"), "/")
	return strings.Contains(host, ".dkr.ecr.") && (strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn"))
}

// duration writes d as Flux and Argo CD take it, without zero units: 5m, 1h30m, 90s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
