package export

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/spec"
)

// Pinner gives the version kaji.lock pins a release to, or nil when the project has no
// kaji.lock or the chart is local. *chartlock.Locker is one.
type Pinner interface {
	Pin(ctx context.Context, r spec.ResolvedRelease) (*chart.Pin, error)
}

// Locator says where a remote chart reference is: its repository or registry and its name.
// *chart.Loader is one; it reads nothing from the network.
type Locator interface {
	Locate(ref string) (chart.Location, error)
}

// SourceKind says where an exported release's chart comes from.
type SourceKind string

const (
	// SourceRepo is an https:// (or http://) chart repository with an index.yaml.
	SourceRepo SourceKind = "repo"
	// SourceOCI is an OCI registry.
	SourceOCI SourceKind = "oci"
	// SourceLocal is a chart directory beside kaji.yaml: the engine needs it from Git.
	SourceLocal SourceKind = "local"
)

// Source is the chart of one release, as the engine fetches it.
type Source struct {
	Kind SourceKind
	// RepoName is the name kaji.yaml gives the chart repository (SourceRepo only).
	RepoName string
	// URL is the repository URL without credentials (SourceRepo), or the registry path
	// oci://host/path that holds the chart (SourceOCI). Empty for SourceLocal.
	URL string
	// Chart is the chart name; for SourceLocal, its path relative to the Git work tree that
	// holds kaji.yaml (or to kaji.yaml's directory when it is in none).
	Chart string
	// Version is the exact version kaji.lock pins, else kaji.yaml's version or constraint;
	// empty means the newest stable version.
	Version string
	// Locked says Version comes from kaji.lock.
	Locked bool
	// Digest is the OCI manifest digest kaji.lock pins (SourceOCI only), or empty.
	Digest string
}

// Release is one release of kaji.yaml, ready to be written for an engine.
type Release struct {
	spec.ResolvedRelease
	Source Source
	// Values are the merged values without what holds secrets: those come from Secrets.
	Values map[string]any
	// Secrets are the values the engine reads from a Secret, in the order they merge.
	Secrets []SecretValue
	// Depth is the length of the longest chain of needs below the release: 0 for a release
	// that needs none.
	Depth int
	// Timeout is the release's timeout, or kaji apply's default when it sets none.
	Timeout time.Duration
}

// SecretValue is one key of a Secret the user must provide for a release's values.
type SecretValue struct {
	// Secret is the Secret's name, in the namespace of the engine's objects.
	Secret string
	// Key is the key of the Secret's data.
	Key string
	// TargetPath is where the key's value goes in the values, in Helm's --set syntax; empty
	// when the key holds a whole values document.
	TargetPath string
	// ValuesPath is where the value goes in the values, as kaji shows paths (a.b[0].c).
	ValuesPath string
	// Ref is the secret reference the value replaces, such as ref+awsssm:///db/password.
	Ref string
	// File is the SOPS-encrypted values file (relative to kaji.yaml) whose plain content
	// the key holds.
	File string
}

// Note is something of kaji.yaml that the engine runs differently, or cannot run, and that
// the user must know or do by hand.
type Note struct {
	// Release is the release it concerns; empty for the whole export.
	Release string
	// Topic names the setting, such as wait, crds or secrets.
	Topic string
	// Text says what differs and what to do.
	Text string
}

func (n Note) String() string {
	if n.Release == "" {
		return n.Topic + ": " + n.Text
	}
	return n.Release + ": " + n.Topic + ": " + n.Text
}

// File is one file of an export, relative to the output directory.
type File struct {
	Name string
	Data []byte
}

// Result is an export: the files to write, the Secrets to provide and the notes.
type Result struct {
	// Engine is flux or argocd.
	Engine string
	// Project and Environment are kaji.yaml's project and the exported environment.
	Project, Environment string
	// Files are sorted by name; kustomization.yaml and README.md are among them.
	Files []File
	// Secrets are the keys of the Secrets the user must create, by release.
	Secrets []SecretValue
	// Notes are the differences and the gaps, whole-export notes first.
	Notes []Note
}

// engineName is how the README and the notes name an engine.
func engineName(engine string) string {
	if engine == "argocd" {
		return "Argo CD"
	}
	return "Flux"
}

// envText is " (environment NAME)" or "".
func envText(env string) string {
	if env == "" {
		return ""
	}
	return fmt.Sprintf(" (environment %s)", env)
}

// header is the comment on top of each generated YAML file.
func header(engine, env string) string {
	return fmt.Sprintf("# Written by kaji export %s from kaji.yaml%s. Change kaji.yaml and export again,\n# or edit here once kaji hands the releases over.\n", engine, envText(env))
}

// fileName is a stable file name for an object: kind-name.yaml, lowercase.
func fileName(kind, name string) string {
	return strings.ToLower(kind) + "-" + name + ".yaml"
}
