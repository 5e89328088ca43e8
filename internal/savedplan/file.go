// Package savedplan is the file that `kaji plan --out` writes and `kaji apply --plan` reads:
// a plan with what it was computed from (the digests of kaji.yaml, of the values files and of
// kaji.lock, each release's live revision, digests of what apply would install and of the
// live objects compared), so that apply can refuse when any of it changed. It holds digests
// and names, never a value of kaji.yaml's secrets.
package savedplan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/readlimit"
)

// APIVersion is the version of the format; a file of any other is refused.
const APIVersion = "kaji.dev/plan/v1"

// Kind is the kind of the file.
const Kind = "Plan"

// MaxSize bounds the file read: a plan of thousands of objects takes a few megabytes.
const MaxSize = 64 << 20

// File is a saved plan.
type File struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// Checksum is the sha256 of the file written with an empty checksum: an edit by hand
	// shows.
	Checksum string `yaml:"checksum"`
	// KajiVersion is the version of kaji that made the plan; another version refuses it.
	KajiVersion string    `yaml:"kajiVersion"`
	Created     time.Time `yaml:"created"`
	Project     string    `yaml:"project"`
	Environment string    `yaml:"environment,omitempty"`
	Cluster     Cluster   `yaml:"cluster"`
	Selection   Selection `yaml:"selection"`
	Options     Options   `yaml:"options"`
	// Files are kaji.yaml, every values file the plan read and kaji.lock, with their digests.
	Files []FileDigest `yaml:"files"`
	// Changes says that apply has something to do.
	Changes  bool      `yaml:"changes"`
	Releases []Release `yaml:"releases"`

	// path is where the file was read from, which errors name.
	path string
}

// Path is where the plan was read from; empty for a plan that was not read.
func (f *File) Path() string { return f.path }

// Cluster is the cluster the plan was made against.
type Cluster struct {
	Context string `yaml:"context"`
	Server  string `yaml:"server"`
	// ID is the uid of the cluster's kube-system namespace, which tells two clusters behind
	// one address apart; empty when kaji could not read it.
	ID string `yaml:"id,omitempty"`
}

// Selection is the part of kaji.yaml planned; empty for the whole project.
type Selection struct {
	// Releases are the release names given, Selectors the -l selectors.
	Releases  []string `yaml:"releases,omitempty"`
	Selectors []string `yaml:"selectors,omitempty"`
	SkipNeeds bool     `yaml:"skipNeeds,omitempty"`
}

// All reports whether the selection is the whole project.
func (s Selection) All() bool { return len(s.Releases) == 0 && len(s.Selectors) == 0 }

// Options are the options the plan was made with, which apply takes from the file.
type Options struct {
	Prune          bool `yaml:"prune"`
	Adopt          bool `yaml:"adopt"`
	ForceConflicts bool `yaml:"forceConflicts"`
	ForceCRDs      bool `yaml:"forceCRDs"`
	// AcceptDroppedKeys is --accept-dropped-keys.
	AcceptDroppedKeys bool `yaml:"acceptDroppedKeys,omitempty"`
}

// FileDigest is a file the plan was computed from.
type FileDigest struct {
	// Path is relative to kaji.yaml's directory (with ../ for a file outside it).
	Path string `yaml:"path"`
	// SHA256 is the digest of the file's bytes (of a SOPS file, as encrypted); empty when
	// Absent.
	SHA256 string `yaml:"sha256,omitempty"`
	// Absent says that the file did not exist (kaji.lock of a project without one).
	Absent bool `yaml:"absent,omitempty"`
}

// Release is the plan of one release, and what it was computed from.
type Release struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
	State     string `yaml:"state"`
	Action    string `yaml:"action"`
	// Reason is the plan's, for a reader of the file.
	Reason  string `yaml:"reason,omitempty"`
	Chart   string `yaml:"chart,omitempty"`
	Version string `yaml:"version,omitempty"`
	// Revision is the latest revision in Helm's storage, 0 when there is none, and Status
	// its status.
	Revision int    `yaml:"revision"`
	Status   string `yaml:"status,omitempty"`
	// Desired is the digest of the chart's content and values apply would install.
	Desired string `yaml:"desired,omitempty"`
	// Live is the digest of the live objects compared, Objects their identities.
	Live    string   `yaml:"live,omitempty"`
	Objects []Object `yaml:"objects,omitempty"`
}

// Object is the identity of a live object the plan compared.
type Object struct {
	Group     string `yaml:"group,omitempty"`
	Kind      string `yaml:"kind"`
	Namespace string `yaml:"namespace,omitempty"`
	Name      string `yaml:"name"`
	// UID and ResourceVersion are empty when the object did not exist.
	UID             string `yaml:"uid,omitempty"`
	ResourceVersion string `yaml:"resourceVersion,omitempty"`
}

// String names the object as kubectl does, with its namespace: "Deployment.apps web/api".
func (o Object) String() string {
	kind := o.Kind
	if o.Group != "" {
		kind += "." + o.Group
	}
	if o.Namespace == "" {
		return kind + " " + o.Name
	}
	return kind + " " + o.Namespace + "/" + o.Name
}

func (o Object) key() string { return o.Group + "/" + o.Kind + "/" + o.Namespace + "/" + o.Name }

// Encode returns the file's bytes, with its checksum set.
func (f *File) Encode() ([]byte, error) {
	f.APIVersion, f.Kind, f.Checksum = APIVersion, Kind, ""
	body, err := marshal(f)
	if err != nil {
		return nil, err
	}
	f.Checksum = digestOf(body)
	return marshal(f)
}

func marshal(f *File) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode the plan: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode the plan: %w", err)
	}
	return b.Bytes(), nil
}

// Write writes f to path atomically (a temporary file in the same directory, renamed over
// path), readable by its owner alone: the plan names the project's releases and secrets'
// references.
func Write(path string, f *File) error {
	data, err := f.Encode()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write the plan to %s (check that its directory exists and is writable): %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write the plan to %s (check that its directory is writable): %w", path, err)
	}
	return nil
}

// Read reads and decodes the plan at path (see Decode).
func Read(path string) (*File, error) {
	data, err := readlimit.File(path, MaxSize)
	if tooLarge := (*readlimit.TooLargeError)(nil); errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%s: %w, which no plan is: is it a plan of kaji plan --out?", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the plan: %w (write one with kaji plan --out %s)", err, path)
	}
	return Decode(path, data)
}

// Decode reads a plan from data, strictly: an unknown field, a value of the wrong kind,
// another apiVersion, a missing or malformed field, and a checksum that does not match (the
// file was edited) are errors that name name, and the line where YAML knows it.
func Decode(name string, data []byte) (*File, error) {
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a plan of kaji plan --out (%v): run kaji plan --out %s again", name, yamlError(err), name)
	}
	if head.APIVersion != APIVersion || head.Kind != Kind {
		return nil, fmt.Errorf("%s: apiVersion %q, kind %q: this kaji reads apiVersion %s, kind %s; run kaji plan --out %s with this kaji",
			name, head.APIVersion, head.Kind, APIVersion, Kind, name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	f := &File{}
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%s: %v: the file is not as kaji plan --out wrote it; run kaji plan --out %s again", name, yamlError(err), name)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: run kaji plan --out %s again", name, err, name)
	}
	sum := f.Checksum
	f.Checksum = ""
	body, err := marshal(f)
	if err != nil {
		return nil, err
	}
	f.Checksum, f.path = sum, name
	if digestOf(body) != sum {
		return nil, fmt.Errorf("%s: the file was changed after kaji plan wrote it (its checksum does not match): a saved plan is applied as it was reviewed; run kaji plan --out %s again", name, name)
	}
	return f, nil
}

// yamlError is err without the library's prefix.
func yamlError(err error) string {
	return strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n ", ""), "yaml: ")
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// validate says what is missing or malformed.
func (f *File) validate() error {
	var errs []error
	need := func(field, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is missing", field))
		}
	}
	digest := func(field, v string, required bool) {
		if (v != "" || required) && !digestRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s %q is not a digest (sha256:, then 64 hexadecimal digits)", field, v))
		}
	}
	need("kajiVersion", f.KajiVersion)
	need("project", f.Project)
	need("cluster.server", f.Cluster.Server)
	digest("checksum", f.Checksum, true)
	if f.Created.IsZero() {
		errs = append(errs, errors.New("created is missing"))
	}
	if len(f.Files) == 0 || f.Files[0].Absent {
		errs = append(errs, errors.New("files must start with kaji.yaml and its digest"))
	}
	for i, d := range f.Files {
		need(fmt.Sprintf("files[%d].path", i), d.Path)
		if d.Absent != (d.SHA256 == "") {
			errs = append(errs, fmt.Errorf("files[%d] (%s): give either sha256 or absent: true", i, d.Path))
		}
		digest(fmt.Sprintf("files[%d].sha256", i), d.SHA256, false)
	}
	seen := map[string]bool{}
	for i, r := range f.Releases {
		need(fmt.Sprintf("releases[%d].name", i), r.Name)
		need(fmt.Sprintf("releases[%d].action", i), r.Action)
		if k := r.Namespace + "/" + r.Name + "/" + r.State; seen[k] {
			errs = append(errs, fmt.Errorf("releases[%d]: release %s/%s is listed twice", i, r.Namespace, r.Name))
		} else {
			seen[k] = true
		}
		if r.Revision < 0 {
			errs = append(errs, fmt.Errorf("releases[%d].revision %d is negative", i, r.Revision))
		}
		digest(fmt.Sprintf("releases[%d].desired", i), r.Desired, false)
		digest(fmt.Sprintf("releases[%d].live", i), r.Live, false)
	}
	return errors.Join(errs...)
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
