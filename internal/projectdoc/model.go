// Package projectdoc describes a kaji project for its readers: per environment, each
// release's chart and where it comes from, the values that differ from the chart's defaults
// (secrets as where they come from, never as what they hold), the container images it runs
// and the order in which releases need each other. Build makes the description offline,
// from the charts and values a run prepares; Live adds what Helm's storage says was
// deployed. Package view writes it as Markdown.
package projectdoc

import "time"

// Page describes a project.
type Page struct {
	Project string
	// File is kaji.yaml's name as the page shows it (relative to its directory).
	File string
	// Environments are in the order they were asked for.
	Environments []Environment
	// Live says that Live filled in the releases' deployed revisions.
	Live bool
}

// Environment is the project with one environment applied.
type Environment struct {
	// Name is the environment, or empty for the project without one.
	Name string
	// Cluster says which cluster the environment deploys to, such as "EKS cluster shop in
	// eu-west-1" or "kubeconfig context prod"; empty when kaji.yaml does not say.
	Cluster string
	// Releases are in dependency order: every release comes after all it needs.
	Releases []Release
	// Disabled are the releases kaji.yaml declares that the environment leaves out.
	Disabled []string
}

// Release is one release of an environment.
type Release struct {
	Name      string
	Namespace string
	// Chart is the chart's name (Chart.yaml), Version the exact version loaded (the one
	// kaji.lock pins, when it pins one) and AppVersion the chart's appVersion.
	Chart      string
	Version    string
	AppVersion string
	// Source is where the chart comes from.
	Source Source
	// Needs are the releases it needs, as kaji.yaml lists them.
	Needs []string
	// Values are the values that differ from the chart's defaults, by path.
	Values []Value
	// Images are the container images its rendered manifests run, sorted, each once.
	Images []string
	// Deployed is the latest revision in Helm's storage; nil when Live did not run or the
	// release has none.
	Deployed *Revision
}

// SourceKind says where a chart comes from.
type SourceKind string

const (
	// SourceLocal is a chart on disk.
	SourceLocal SourceKind = "local"
	// SourceRepository is a chart of an https chart repository.
	SourceRepository SourceKind = "repository"
	// SourceOCI is a chart of an OCI registry.
	SourceOCI SourceKind = "oci"
)

// Source is where a chart comes from.
type Source struct {
	Kind SourceKind
	// Location is the chart's path relative to kaji.yaml's directory (or absolute outside
	// it), the repository URL without credentials, or oci://host/path/name.
	Location string
}

// ValueKind says what a value shown on the page is.
type ValueKind string

const (
	// ValuePlain is a value as kaji.yaml or a values file writes it.
	ValuePlain ValueKind = "plain"
	// ValueReference is a reference to a secret (ref+awsssm://...), shown as written: what
	// it names is never read.
	ValueReference ValueKind = "reference"
	// ValueSecret is a value of an encrypted (SOPS) values file: never shown.
	ValueSecret ValueKind = "secret"
)

// Value is one value of a release that differs from the chart's default.
type Value struct {
	// Path is where it is, as a.b[2].c (keys that are not plain words quoted: a["b.c"]).
	Path string
	// Kind says what Text is.
	Kind ValueKind
	// Text is the value as compact JSON for a plain value, the reference for a reference,
	// and "(secret from FILE)" for a secret.
	Text string
	// From names the layer that sets it: a values file, or kaji.yaml for inline values.
	From string
}

// Revision is a revision of a release in Helm's storage.
type Revision struct {
	Number int
	// Status is Helm's status of the revision, such as deployed or failed.
	Status string
	// Chart and Version are the chart that the revision deployed.
	Chart, Version string
	// Updated is when the revision was deployed.
	Updated time.Time
}
