package spec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validator collects the problems of a decoded kaji.yaml.
type validator struct {
	doc      *Document
	file     *File
	dir      string
	problems Problems
}

func (v *validator) add(p path, msg, hint string) {
	v.problems = append(v.problems, Problem{Pos: v.doc.Pos(p...), Path: p.String(), Message: msg, Hint: hint})
}

// validate checks everything decoding cannot: required fields, names, references between
// releases, and the files kaji.yaml points to. It returns every problem it finds.
func (d *Document) validate() Problems {
	v := &validator{doc: d, file: &d.File, dir: d.Dir}
	v.validateAPIVersion()
	v.validateProject()
	v.validateCluster(path{"cluster"}, &d.File.Cluster)
	v.validateRepositories()
	v.validateReleases()
	v.validateMaxHistory(path{"maxHistory"}, d.File.MaxHistory)
	v.validateCRDs(path{"crds"}, d.File.CRDs)
	v.validateEnvironments()
	return v.problems
}

func (v *validator) validateAPIVersion() {
	hint := fmt.Sprintf("write apiVersion: %s", APIVersion)
	switch v.file.APIVersion {
	case APIVersion:
	case "":
		v.add(path{"apiVersion"}, "apiVersion is required", hint+" at the top of the file")
	default:
		v.add(path{"apiVersion"}, fmt.Sprintf("unsupported apiVersion %q", v.file.APIVersion), hint)
	}
}

func (v *validator) validateProject() {
	p := path{"project"}
	if v.file.Project == "" {
		v.add(p, "project is required", "name the project, such as project: shop; kaji labels every release with it")
		return
	}
	if errs := validation.IsValidLabelValue(v.file.Project); len(errs) > 0 {
		v.add(p, fmt.Sprintf("invalid project %q: it becomes a label value", v.file.Project), strings.Join(errs, "; "))
	}
}

func (v *validator) validateCluster(p path, c *Cluster) {
	if c == nil || c.EKS == nil {
		return
	}
	if c.EKS.Name == "" {
		v.add(p.with("eks", "name"), "eks.name is required", "")
	}
	if c.EKS.Region == "" {
		v.add(p.with("eks", "region"), "eks.region is required", "")
	}
}

// identifier is the rule for repository and environment names: a non-empty Kubernetes label
// value, so letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
var identifier = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$`)

const identifierRule = "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters"

func (v *validator) validateRepositories() {
	for _, name := range sortedKeys(v.file.Repositories) {
		p := path{"repositories", name}
		if !identifier.MatchString(name) {
			v.add(p, fmt.Sprintf("invalid repository name %q", name), identifierRule)
		}
		raw := v.file.Repositories[name]
		u, err := url.Parse(raw)
		switch {
		case raw == "":
			v.add(p, fmt.Sprintf("repository %q has no URL", name), "write an https:// or oci:// URL")
		case err != nil:
			v.add(p, fmt.Sprintf("repository %q: invalid URL: %v", name, err), "")
		case u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci":
			v.add(p, fmt.Sprintf("repository %q: URL %q must start with https://, http:// or oci://", name, raw), "")
		case u.Host == "":
			v.add(p, fmt.Sprintf("repository %q: URL %q has no host", name, raw), "")
		}
	}
}

func (v *validator) validateReleases() {
	if _, ok := v.doc.Lookup("releases"); !ok {
		v.add(path{"releases"}, "releases is required", "list the releases, or write releases: [] for none")
	}
	first := map[string]int{}
	for i, r := range v.file.Releases {
		p := path{"releases", i}
		v.validateReleaseName(p.with("name"), r.Name)
		if j, dup := first[r.Name]; dup && r.Name != "" {
			v.add(p.with("name"), fmt.Sprintf("duplicate release name %q", r.Name),
				fmt.Sprintf("release names must be unique; releases[%d] at line %d has it too", j, v.doc.Pos("releases", j, "name").Line))
		} else if !dup {
			first[r.Name] = i
		}
		v.validateNamespace(p.with("namespace"), r.Namespace)
		v.validateChart(p.with("chart"), r.Chart)
		v.validateVersion(p.with("version"), r.Version)
		v.validateValuesFiles(p.with("valuesFiles"), r.ValuesFiles)
		v.validateTimeout(p.with("timeout"), r.Timeout)
		v.validateMaxHistory(p.with("maxHistory"), r.MaxHistory)
		v.validateIgnoreDifferences(p.with("ignoreDifferences"), r.IgnoreDifferences)
		v.validateCRDs(p.with("crds"), r.CRDs)
		v.validateLabels(p.with("labels"), r.Labels)
	}
	v.validateNeeds()
}

func (v *validator) validateMaxHistory(p path, m *int) {
	if m != nil && *m < 0 {
		v.add(p, fmt.Sprintf("invalid maxHistory %d", *m), "write how many revisions to keep, or 0 to keep them all")
	}
}

func (v *validator) validateCRDs(p path, m CRDMode) {
	switch m {
	case "", CRDsApply, CRDsCreate, CRDsSkip:
		return
	}
	v.add(p, fmt.Sprintf("invalid crds %q", m),
		"write apply (create and upgrade the chart's crds/, the default), create (install them once, as helm does) or skip (never touch them)")
}

func (v *validator) validateTimeout(p path, timeout string) {
	if timeout == "" {
		return
	}
	if d, err := time.ParseDuration(timeout); err != nil || d <= 0 {
		v.add(p, fmt.Sprintf("invalid timeout %q", timeout), "write a positive duration such as 90s, 10m or 1h30m")
	}
}

func (v *validator) validateReleaseName(p path, name string) {
	if name == "" {
		v.add(p, "name is required", "")
		return
	}
	if err := chartutil.ValidateReleaseName(name); err != nil {
		if len(name) > 53 {
			v.add(p, fmt.Sprintf("release name %q is %d characters long; Helm allows at most 53", name, len(name)), "")
			return
		}
		v.add(p, fmt.Sprintf("invalid release name %q", name),
			"use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit")
	}
}

func (v *validator) validateNamespace(p path, ns string) {
	if ns == "" {
		v.add(p, "namespace is required", "")
		return
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		v.add(p, fmt.Sprintf("invalid namespace %q", ns), strings.Join(errs, "; "))
	}
}

// validateVersion accepts an empty version, an exact version or a Masterminds semver
// constraint, which is what Helm accepts for --version.
func (v *validator) validateVersion(p path, version string) {
	if version == "" {
		return
	}
	if _, err := semver.NewConstraint(version); err != nil {
		v.add(p, fmt.Sprintf("invalid version: %v", err),
			"write an exact version such as 1.2.3 or a constraint such as ^1.2 or >=1.2.0 <2.0.0")
	}
}

func (v *validator) validateValuesFiles(p path, files []string) {
	for i, f := range files {
		v.validateValuesFile(p.with(i), f)
	}
}

func (v *validator) validateValuesFile(p path, file string) {
	if file == "" {
		v.add(p, "empty values file path", "")
		return
	}
	abs, err := absPath(v.dir, file)
	if err != nil {
		v.add(p, fmt.Sprintf("values file %q: %v", file, err), "")
		return
	}
	f, err := os.Open(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.add(p, fmt.Sprintf("values file %q does not exist", file), "paths are relative to kaji.yaml's directory")
		return
	case err != nil:
		v.add(p, fmt.Sprintf("values file %q cannot be read: %v", file, cause(err)), "")
		return
	}
	defer f.Close()
	// A directory opens fine; reading it is what fails.
	if _, err := f.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		v.add(p, fmt.Sprintf("values file %q cannot be read: %v", file, cause(err)), "")
	}
}

// cause drops the operation and path that an *fs.PathError adds: the message names the file.
func cause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
