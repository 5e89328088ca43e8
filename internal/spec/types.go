// Package spec holds the kaji.yaml schema (apiVersion kaji.dev/v1alpha1): its Go types, strict
// decoding with source positions, validation that collects every problem at once, and the
// resolution of an environment into the concrete releases to apply.
package spec

// APIVersion is the only schema version this build of kaji reads.
const APIVersion = "kaji.dev/v1alpha1"

// File is the root of kaji.yaml.
type File struct {
	// APIVersion must be kaji.dev/v1alpha1.
	APIVersion string `json:"apiVersion" jsonschema:"enum=kaji.dev/v1alpha1"`
	// Project names this set of releases. kaji labels every release it creates with it.
	Project string `json:"project"`
	// Cluster says which cluster the releases go to.
	Cluster Cluster `json:"cluster,omitempty"`
	// Repositories maps a repository name to an https:// (or http://) chart repository or an
	// oci:// registry. Charts refer to them as name/chart.
	Repositories map[string]string `json:"repositories,omitempty"`
	// Releases are the Helm releases kaji manages.
	Releases []Release `json:"releases"`
	// Environments maps an environment name (test, prod, ...) to overrides, selected with --env.
	Environments map[string]Environment `json:"environments,omitempty"`
	// MaxHistory is how many revisions Helm keeps of each release that does not set its own;
	// older ones are deleted on upgrade. 0 keeps every revision. Default 10, as the Helm CLI's
	// --history-max.
	MaxHistory *int `json:"maxHistory,omitempty" jsonschema:"minimum=0"`
	// CRDs is what apply does with the CRDs of each chart's crds/ directory, for every release
	// that does not set its own: apply (the default) creates and upgrades them with server-side
	// apply before the release's objects; create installs them once, as Helm does; skip never
	// touches them. See docs/crds.md.
	CRDs CRDMode `json:"crds,omitempty" jsonschema:"enum=apply,enum=create,enum=skip"`
}

// CRDMode is what apply does with the CRDs of a chart's crds/ directory.
type CRDMode string

const (
	// CRDsApply creates and upgrades them with server-side apply, before the release's objects.
	CRDsApply CRDMode = "apply"
	// CRDsCreate installs them on a release's first install only, and never upgrades them:
	// Helm's behaviour.
	CRDsCreate CRDMode = "create"
	// CRDsSkip never touches them: Helm's --skip-crds.
	CRDsSkip CRDMode = "skip"
)

// DefaultCRDMode is the mode of a release when neither it nor the project sets one.
const DefaultCRDMode = CRDsApply

// Cluster selects the Kubernetes cluster.
type Cluster struct {
	// KubeContext is the kubeconfig context to use. Empty means the current context.
	KubeContext string `json:"kubeContext,omitempty"`
	// Kubeconfig is the kubeconfig path, relative to kaji.yaml; ~/ is the home directory. Empty
	// follows the KUBECONFIG rules.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// EKS connects to an Amazon EKS cluster without a kubeconfig.
	EKS *EKS `json:"eks,omitempty"`
}

// EKS describes an Amazon EKS cluster.
type EKS struct {
	// Name is the EKS cluster name.
	Name string `json:"name"`
	// Region is the AWS region of the cluster.
	Region string `json:"region"`
	// RoleARN is an IAM role to assume before talking to the cluster.
	RoleARN string `json:"roleArn,omitempty"`
	// SessionName is the AssumeRole session name.
	SessionName string `json:"sessionName,omitempty"`
	// ExternalID is the AssumeRole external ID.
	ExternalID string `json:"externalId,omitempty"`
}

// Release is one Helm release.
type Release struct {
	// Name is the Helm release name.
	Name string `json:"name"`
	// Namespace is the release namespace.
	Namespace string `json:"namespace"`
	// Chart is a local path (relative to kaji.yaml), repo/name, or an oci:// reference.
	Chart string `json:"chart"`
	// Version is an exact chart version or a semver constraint; empty means the newest stable
	// version. For a local chart, Chart.yaml's version must satisfy it.
	Version string `json:"version,omitempty"`
	// Values are inline values, merged over ValuesFiles.
	Values map[string]any `json:"values,omitempty"`
	// ValuesFiles are values files, relative to kaji.yaml, merged in order.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// Needs names releases that must be applied before this one.
	Needs []string `json:"needs,omitempty"`
	// Labels are key: value pairs that pick the release on the command line, as kaji plan -l
	// team=payments does. Keys and values follow the syntax of Kubernetes labels. They stay in
	// kaji.yaml: kaji does not put them on the release or its objects.
	Labels map[string]string `json:"labels,omitempty"`
	// CreateNamespace creates the namespace when missing. Default true.
	CreateNamespace *bool `json:"createNamespace,omitempty"`
	// Wait makes apply wait until the release's objects are ready, overriding --wait.
	Wait *bool `json:"wait,omitempty"`
	// Timeout bounds the release's Helm operations and its wait, such as 10m, overriding --timeout.
	Timeout string `json:"timeout,omitempty"`
	// MaxHistory is how many revisions Helm keeps of this release, overriding the project's
	// maxHistory. 0 keeps every revision.
	MaxHistory *int `json:"maxHistory,omitempty" jsonschema:"minimum=0"`
	// ForceConflicts lets apply take the fields of the release's objects that other field
	// managers own (controllers, operators, webhooks, other tools), as kaji apply
	// --force-conflicts does. Without it apply refuses the release and says which fields and
	// managers are in the way. Fields last changed with kubectl are drift, which apply repairs
	// either way.
	ForceConflicts bool `json:"forceConflicts,omitempty"`
	// IgnoreDifferences names fields that belong to someone else, such as the replicas that an
	// autoscaler sets: they are neither drift nor a reason to upgrade, and apply does not send
	// them, so that their owner keeps them.
	IgnoreDifferences []IgnoreDifference `json:"ignoreDifferences,omitempty"`
	// CRDs is what apply does with the CRDs of the chart's crds/ directory, overriding the
	// project's crds: apply, create or skip.
	CRDs CRDMode `json:"crds,omitempty" jsonschema:"enum=apply,enum=create,enum=skip"`
	// Enabled false declares the release without applying it, for a release that runs only
	// in some environments: they set enabled: true in their overrides. Default true.
	Enabled *bool `json:"enabled,omitempty"`
	// RollbackOnFailure rolls the release back to its last good revision when an upgrade (or,
	// on a first install, uninstalls it when the install) fails, overriding
	// --rollback-on-failure.
	RollbackOnFailure *bool `json:"rollbackOnFailure,omitempty"`
	// Adopt takes the release over when helm or another kaji project made it, as kaji apply
	// --adopt does for this release alone. kaji import writes it for the releases it imports:
	// when the release is in sync, apply only labels it as this project's, without a new
	// revision. Once the release is the project's, it has no effect.
	Adopt bool `json:"adopt,omitempty"`
	// AcceptDroppedKeys names keys of the release's values, such as server.enabled, that a
	// change of chart version is known to drop: the deployed version reads them and the new
	// one ignores them. Without it, plan reports such a key as an error and apply refuses the
	// upgrade; kaji apply --accept-dropped-keys accepts every one for one run.
	AcceptDroppedKeys []string `json:"acceptDroppedKeys,omitempty"`
}

// IgnoreDifference names fields of some of a release's objects.
type IgnoreDifference struct {
	// Group is the API group, such as apps; empty matches the kind in any group.
	Group string `json:"group,omitempty"`
	// Kind is the object kind, such as Deployment.
	Kind string `json:"kind"`
	// Name is the object name; empty matches every object of the kind in the release.
	Name string `json:"name,omitempty"`
	// Paths are JSON pointers (RFC 6901) to the fields, such as /spec/replicas; ~1 stands for
	// a / in a key, as in /metadata/annotations/example.com~1owner.
	Paths []string `json:"paths" jsonschema:"minItems=1"`
}

// Environment overrides parts of the file for one environment.
type Environment struct {
	// Cluster replaces the fields of the top-level cluster that it sets.
	Cluster *Cluster `json:"cluster,omitempty"`
	// Releases maps a release name to overrides for that release.
	Releases map[string]ReleaseOverride `json:"releases,omitempty"`
}

// ReleaseOverride changes one release in one environment.
type ReleaseOverride struct {
	// Enabled false leaves the release out of this environment: plan and apply neither
	// install nor upgrade it there, and --prune treats an installed one as an orphan. True
	// brings back a release whose own enabled is false.
	Enabled *bool `json:"enabled,omitempty"`
	// Version replaces the release's version.
	Version string `json:"version,omitempty"`
	// Values are merged last, over everything else.
	Values map[string]any `json:"values,omitempty"`
	// ValuesFiles are merged after the release's own values and values files.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// ForceConflicts replaces the release's forceConflicts.
	ForceConflicts *bool `json:"forceConflicts,omitempty"`
	// IgnoreDifferences are added to the release's own.
	IgnoreDifferences []IgnoreDifference `json:"ignoreDifferences,omitempty"`
	// CRDs replaces the release's crds (and the project's default) in this environment.
	CRDs CRDMode `json:"crds,omitempty" jsonschema:"enum=apply,enum=create,enum=skip"`
	// AcceptDroppedKeys are added to the release's own.
	AcceptDroppedKeys []string `json:"acceptDroppedKeys,omitempty"`
}
