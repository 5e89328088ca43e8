// Package release performs Helm operations on one release at a time through the Helm v4 SDK,
// in-process, with the same storage driver (secrets) and labels as the Helm CLI plus kaji's own.
package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/postrenderer"
	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/spec"
)

// ProjectLabel is the release label that names the kaji project a release belongs to.
const ProjectLabel = "kaji.dev/project"

// InputsLabel is the release label that says what a revision was rendered from (Desired.Inputs):
// a plan that finds the same inputs takes the revision's manifest without rendering again.
const InputsLabel = "kaji.dev/inputs"

// DefaultTimeout matches the Helm CLI's --timeout default.
const DefaultTimeout = 5 * time.Minute

// Action is what an operation did to a release.
type Action string

const (
	Installed   Action = "installed"
	Upgraded    Action = "upgraded"
	Uninstalled Action = "uninstalled"
	// Absent means there was nothing to uninstall.
	Absent Action = "absent"
	// Unchanged means the release was in sync and was left alone.
	Unchanged Action = "unchanged"
)

// Result is the outcome of one operation.
type Result struct {
	Name      string
	Namespace string
	Action    Action
	Revision  int
	Chart     string
	Version   string
	Status    string
	// CRDs names the CRDs of the chart's crds/ that the operation applied (CRD mode apply).
	CRDs []string
	// KeptCRDs names the CRDs that an uninstall left in the cluster, and with them every
	// custom resource of theirs; DeletedCRDs those it deleted (Manager.WithDeleteCRDs).
	KeptCRDs, DeletedCRDs []string
	// Recovered is set when the operation first gave up a pending revision that a stopped kaji
	// run left behind (see Manager.Unlock).
	Recovered *Unlocked
}

// Options configure a Manager.
type Options struct {
	// Project is the value of ProjectLabel on every release the Manager writes.
	Project string
	// Timeout bounds each Kubernetes operation, as Helm's --timeout. Zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives Helm's own logs. Nil discards them.
	Logger slog.Handler
	// DeleteCRDs lets uninstalls delete the release's CRDs; see WithDeleteCRDs.
	DeleteCRDs bool
}

// Manager runs Helm actions against one cluster. It is safe for concurrent use on different
// releases.
type Manager struct {
	conn *cluster.Conn
	opts Options
}

// FieldManager is the server-side apply field manager of every object kaji's Helm writes. It is
// the Helm CLI's, so that kaji and helm can take turns on a release without conflicts.
const FieldManager = "helm"

// NewManager returns a Manager for the cluster of conn.
func NewManager(conn *cluster.Conn, opts Options) *Manager {
	// Helm names its field manager after the running binary unless told otherwise.
	kube.ManagedFieldsManager = FieldManager
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.DiscardHandler
	}
	return &Manager{conn: conn, opts: opts}
}

// config returns a Helm action configuration for one operation in namespace. Helm stores
// releases per namespace, and its kube client is not safe for concurrent use, so every
// operation gets its own; they share the connection's REST config, discovery, mapper and
// capabilities.
func (m *Manager) config(namespace string) (*action.Configuration, error) {
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(m.opts.Logger))
	if err := cfg.Init(m.conn.Getter(namespace), namespace, "secret"); err != nil {
		return nil, fmt.Errorf("helm configuration for namespace %s: %w", namespace, err)
	}
	// Read once per run, not once per operation as Helm would (see cluster.Conn.Capabilities).
	caps, err := m.conn.Capabilities()
	if err != nil {
		return nil, err
	}
	cfg.Capabilities = caps.Copy()
	return cfg, nil
}

// Desired is what one release should become, and how to get there.
type Desired struct {
	Name            string
	Namespace       string
	Chart           *chartv2.Chart
	Values          map[string]any
	CreateNamespace bool
	// Wait waits until every object is ready (kstatus), up to Timeout.
	Wait bool
	// Timeout bounds the operation and its wait. Zero means the Manager's timeout.
	Timeout time.Duration
	// RollbackOnFailure rolls a failed upgrade back, and uninstalls a failed install.
	RollbackOnFailure bool
	// ForceConflicts takes over fields that another field manager changed (drift).
	ForceConflicts bool
	// PostRenderer, when set, changes the rendered objects before they are applied and stored
	// (kaji.yaml's ignoreDifferences leaves fields out with it).
	PostRenderer postrenderer.PostRenderer
	// Mode says whether to install or upgrade; ModeAuto reads the release's history to decide.
	Mode Mode
	// MaxHistory is how many revisions Helm keeps: an upgrade deletes the oldest beyond it,
	// as the Helm CLI's --history-max does. 0 keeps every revision.
	MaxHistory int
	// CRDs is what to do with the CRDs of the chart's crds/ directory; empty means
	// spec.DefaultCRDMode (apply).
	CRDs spec.CRDMode
	// ForceCRDs applies them even when CheckCRD refuses (--force-crds).
	ForceCRDs bool
	// Inputs, when set, is the value of InputsLabel for the revision written (see
	// plan.InputsLabel). When empty, an upgrade drops the label that Helm would carry over.
	Inputs string
	// Lookups, when set with Inputs, is the value of LookupsAnnotation for the revision
	// written: the lookup calls of the render that Inputs describes (plan.Release.Lookups).
	Lookups string
	// Unchanged are the objects that an upgrade's plan found as the deployed revision has
	// them, live and in the new revision, each with the resourceVersion it saw. The upgrade
	// leaves them alone while they still have it (see untouched); the others are applied.
	Unchanged map[ObjectKey]string
}

// Mode is how Apply brings a release to what is desired.
type Mode int

const (
	// ModeAuto reads the latest revision first: install when there is none, or when it is
	// uninstalled with its history kept, else upgrade, like `helm upgrade --install`.
	ModeAuto Mode = iota
	// ModeInstall installs a release of which Helm's storage has no revision.
	ModeInstall
	// ModeReinstall installs over a release uninstalled with its history kept.
	ModeReinstall
	// ModeUpgrade upgrades a release that exists.
	ModeUpgrade
)

func (d Desired) waitStrategy() kube.WaitStrategy {
	if d.Wait {
		return kube.StatusWatcherStrategy
	}
	return kube.HookOnlyStrategy
}

// Install and upgrade skip Helm's client-side validation (DisableOpenAPIValidation). The API
// server still validates every object strictly: Helm's create and server-side apply send
// fieldValidation=Strict whatever this says, and kaji's plan dry-runs them the same way first.
// The client side only asks, through each API group's OpenAPI v3 document, whether the server
// supports field validation (every release since Kubernetes 1.27 does), and for that downloads
// and parses those documents again for every release: most of the CPU time of an install.
const skipClientValidation = true

// Apply installs the release, or upgrades it when it exists, like `helm upgrade --install`.
func (m *Manager) Apply(ctx context.Context, d Desired) (Result, error) {
	cfg, err := m.config(d.Namespace)
	if err != nil {
		return Result{}, err
	}
	if err := m.annotateRevision(cfg, d.Namespace, d); err != nil {
		return Result{}, err
	}
	cfg.Releases.MaxHistory = d.MaxHistory
	mode := d.Mode
	if mode == ModeAuto {
		if mode, err = m.mode(cfg, d.Name); err != nil {
			return Result{}, err
		}
	}
	labels := map[string]string{ProjectLabel: m.opts.Project}
	if d.Inputs != "" {
		labels[InputsLabel] = d.Inputs
	}
	var crds []string
	if d.crdMode() == spec.CRDsApply {
		if crds, err = m.applyCRDs(ctx, d); err != nil {
			return Result{}, fmt.Errorf("%s %s/%s: %w", verb(modeAction(mode)), d.Namespace, d.Name, err)
		}
	}
	var rel ri.Releaser
	act := Upgraded
	if mode == ModeInstall || mode == ModeReinstall {
		act = Installed
		in := action.NewInstall(cfg)
		in.ReleaseName = d.Name
		in.Namespace = d.Namespace
		if d.CreateNamespace {
			// As Helm's --create-namespace does, without its client-side validation.
			if err := m.createNamespace(ctx, d.Namespace); err != nil {
				return Result{}, err
			}
		}
		in.Timeout = m.timeout(d.Timeout)
		in.WaitStrategy = d.waitStrategy()
		in.RollbackOnFailure = d.RollbackOnFailure
		in.ForceConflicts = d.ForceConflicts
		in.PostRenderer = d.PostRenderer
		in.Labels = labels
		in.Replace = mode == ModeReinstall
		in.DisableOpenAPIValidation = skipClientValidation
		// Helm installs crds/ itself only in mode create; in mode apply they are in place.
		in.SkipCRDs = d.crdMode() != spec.CRDsCreate
		rel, err = in.RunWithContext(ctx, d.Chart, d.Values)
	} else {
		up := action.NewUpgrade(cfg)
		up.Namespace = d.Namespace
		up.Timeout = m.timeout(d.Timeout)
		up.WaitStrategy = d.waitStrategy()
		up.RollbackOnFailure = d.RollbackOnFailure
		up.ForceConflicts = d.ForceConflicts
		up.PostRenderer = d.PostRenderer
		up.Labels = labels
		if d.Inputs == "" {
			up.Labels = maps.Clone(labels)
			up.Labels[InputsLabel] = "null" // Helm's way to drop a label of the last revision
		}
		// kaji.yaml is the whole truth: without this, Helm keeps the previous values when
		// none are given, so that removing every value from kaji.yaml would change nothing.
		up.ResetValues = true
		up.MaxHistory = d.MaxHistory
		// Always server-side, as the plan's dry run is: Helm's default ("auto") repeats the
		// previous revision's method, so a release last written client-side (by Helm 3, or
		// adopted) would be upgraded otherwise than planned. Helm moves the client-side
		// field manager over on the way.
		up.ServerSideApply = "true"
		up.DisableOpenAPIValidation = skipClientValidation
		if kc, ok := cfg.KubeClient.(*kube.Client); ok && len(d.Unchanged) > 0 {
			cfg.KubeClient = &untouched{Client: kc, versions: d.Unchanged}
		}
		rel, err = up.RunWithContext(ctx, d.Name, d.Chart, d.Values)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s %s/%s: %w", verb(act), d.Namespace, d.Name, err)
	}
	r, err := v1(rel)
	if err != nil {
		return Result{}, err
	}
	res := resultOf(r, act)
	res.CRDs = crds
	fromDir := len(crds) > 0 || (act == Installed && d.crdMode() == spec.CRDsCreate && d.Chart != nil && len(d.Chart.CRDObjects()) > 0)
	if err := m.arriveCRDs(cfg, r, fromDir, m.timeout(d.Timeout)); err != nil {
		return res, err
	}
	return res, nil
}

func modeAction(mode Mode) Action {
	if mode == ModeInstall || mode == ModeReinstall {
		return Installed
	}
	return Upgraded
}

// createNamespace makes namespace if it does not exist, exactly as Helm's install does with
// CreateNamespace: a server-side apply, by Helm's field manager, of the namespace with the
// label name=NAMESPACE. Helm's own path validates the object against the API server's OpenAPI
// document first, which costs a download and a parse of the core group's document per release.
func (m *Manager) createNamespace(ctx context.Context, namespace string) error {
	cs, err := m.conn.Clientset()
	if err != nil {
		return err
	}
	ns := corev1ac.Namespace(namespace).WithLabels(map[string]string{"name": namespace})
	if _, err := cs.CoreV1().Namespaces().Apply(ctx, ns, metav1.ApplyOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return nil
}

func (m *Manager) timeout(t time.Duration) time.Duration {
	if t > 0 {
		return t
	}
	return m.opts.Timeout
}

// Uninstall removes the release and its history, like `helm uninstall`. A release that does not
// exist is reported as Absent, not as an error. A release whose latest revision is not the
// project's (made by helm, or owned by another kaji project) is left alone: a *NotOwnedError.
// timeout bounds it and its hooks; zero means the Manager's timeout.
func (m *Manager) Uninstall(ctx context.Context, name, namespace string, timeout time.Duration) (Result, error) {
	cfg, err := m.config(namespace)
	if err != nil {
		return Result{}, err
	}
	last, err := m.last(cfg, name)
	if err != nil {
		return Result{}, err
	}
	if last == nil {
		return Result{Name: name, Namespace: namespace, Action: Absent}, nil
	}
	if owner := last.Labels[ProjectLabel]; owner != m.opts.Project {
		return Result{}, &NotOwnedError{Name: name, Namespace: namespace, Owner: owner, Project: m.opts.Project}
	}
	var templateCRDs []string
	if !m.opts.DeleteCRDs {
		if templateCRDs, err = keepTemplateCRDs(cfg, last); err != nil {
			return Result{}, err
		}
	}
	un := action.NewUninstall(cfg)
	un.Timeout = m.timeout(timeout)
	un.WaitStrategy = kube.HookOnlyStrategy
	un.IgnoreNotFound = true
	resp, err := un.Run(name)
	if err != nil {
		return Result{}, fmt.Errorf("uninstall %s/%s: %w", namespace, name, err)
	}
	res := Result{Name: name, Namespace: namespace, Action: Absent}
	if resp != nil && resp.Release != nil {
		if r, err := v1(resp.Release); err == nil {
			res = resultOf(r, Uninstalled)
		}
	}
	res.KeptCRDs = templateCRDs
	if err := m.settleChartCRDs(ctx, last, &res); err != nil {
		return res, fmt.Errorf("uninstalled %s/%s, but its CRDs: %w", namespace, name, err)
	}
	return res, nil
}

// NotOwnedError says that a release is not the project's to uninstall.
type NotOwnedError struct {
	Name, Namespace string
	// Owner is the release's kaji.dev/project label: another project, or empty when helm
	// made it.
	Owner, Project string
}

func (e *NotOwnedError) Error() string {
	whose := "it was made by helm, not by kaji (no " + ProjectLabel + " label)"
	if e.Owner != "" {
		whose = fmt.Sprintf("it is owned by kaji project %q", e.Owner)
	}
	return fmt.Sprintf("release %s/%s is not project %q's to uninstall: %s; `kaji apply --adopt` (or adopt: true on the release in kaji.yaml) takes it over first",
		e.Namespace, e.Name, e.Project, whose)
}

// Get returns the latest revision of a release, or nil when there is none.
func (m *Manager) Get(_ context.Context, name, namespace string) (*rspb.Release, error) {
	cfg, err := m.config(namespace)
	if err != nil {
		return nil, err
	}
	return m.last(cfg, name)
}

// mode decides between install and upgrade from the latest revision, for ModeAuto.
func (m *Manager) mode(cfg *action.Configuration, name string) (Mode, error) {
	last, err := m.last(cfg, name)
	switch {
	case err != nil:
		return ModeAuto, err
	case last == nil:
		return ModeInstall, nil
	case last.Info.Status == common.StatusUninstalled:
		return ModeReinstall, nil
	}
	return ModeUpgrade, nil
}

// last returns the highest revision of a release, or nil when there is none. Helm's storage
// lists revisions in the order of their Secrets' names (v1, v10, v11, v2 ... v9), so the last
// one listed is not the latest once a release has ten revisions: Storage.Last sorts them.
func (m *Manager) last(cfg *action.Configuration, name string) (*rspb.Release, error) {
	r, err := cfg.Releases.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read release %s: %w", name, err)
	}
	return v1(r)
}

func v1(r ri.Releaser) (*rspb.Release, error) {
	rel, ok := r.(*rspb.Release)
	if !ok {
		return nil, fmt.Errorf("unexpected release type %T from helm", r)
	}
	return rel, nil
}

func resultOf(r *rspb.Release, act Action) Result {
	res := Result{Name: r.Name, Namespace: r.Namespace, Action: act, Revision: r.Version}
	if r.Info != nil {
		res.Status = r.Info.Status.String()
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		res.Chart = r.Chart.Metadata.Name
		res.Version = r.Chart.Metadata.Version
	}
	return res
}

func verb(a Action) string {
	if a == Installed {
		return "install"
	}
	return "upgrade"
}
