// Package importer turns Helm releases that already exist — on a cluster, in a synthesized CDK
// app, in a helmfile — into kaji.yaml: it finds them (readers per source), then merges what it
// found into kaji.yaml and its values files without clobbering hand edits.
package importer

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/spec"
)

// Kind names where an import reads from.
type Kind string

const (
	// KindCluster reads the deployed Helm releases of a cluster.
	KindCluster Kind = "cluster"
	// KindCDK reads the Custom::AWSCDK-EKS-HelmChart resources of a synthesized CDK app.
	KindCDK Kind = "cdk"
	// KindHelmfile reads the static part of a helmfile.yaml.
	KindHelmfile Kind = "helmfile"
)

// Found is what a reader found: releases in kaji.yaml's terms and what needs a person.
type Found struct {
	// Kind is the source read.
	Kind Kind
	// Cluster is the cluster the releases run on, when the source says (CDK: cluster.eks).
	Cluster *spec.Cluster
	// Repositories maps repository names used by the releases' charts (repo/chart) to URLs.
	Repositories map[string]string
	// Releases are the releases found, in the source's order.
	Releases []Release
	// Environments are environments the source declares (helmfile), keyed by name.
	Environments map[string]spec.Environment
	// Notes are things the user must look at that belong to no single release.
	Notes []Note
}

// Release is one release found.
type Release struct {
	// Release is the release in kaji.yaml's terms. Chart is repo/name (with the repository in
	// Found.Repositories), an oci:// reference, or a path relative to kaji.yaml.
	spec.Release
	// Origin says where the release was found: "revision 3 on the cluster",
	// "cdk.out/App.template.json: Chart1A2B3C", "helmfile.yaml:12".
	Origin string
	// Notes are things the user must look at about this release.
	Notes []Note
	// Stored is the chart Helm stored with the release (cluster imports only): it is matched
	// against repositories, or written out as a local chart.
	Stored *chartv2.Chart
}

// Note is something an import could not carry over as it was, or that a person must decide.
type Note struct {
	// Where is a file:line, a template file and logical ID, or empty.
	Where string `json:"where,omitempty"`
	// Message says what and what to do.
	Message string `json:"message"`
	// Blocking marks a placeholder or a missing piece: kaji.yaml does not work until it is
	// resolved, and import exits non-zero unless told to keep it.
	Blocking bool `json:"blocking,omitempty"`
}

// Blocking counts the notes, of the releases' and the source's own, that a person must
// resolve before kaji.yaml works.
func (f *Found) Blocking() int {
	n := countBlocking(f.Notes)
	for _, r := range f.Releases {
		n += countBlocking(r.Notes)
	}
	return n
}

func countBlocking(notes []Note) int {
	n := 0
	for _, x := range notes {
		if x.Blocking {
			n++
		}
	}
	return n
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// RepositoryName returns the name under which repository URL u is (or is to be) known in
// repos: the name it already has, or a new one made from the URL's last path element or host
// ("https://charts.bitnami.com/bitnami" is bitnami, "https://kubernetes.github.io/ingress-nginx"
// ingress-nginx, "https://aws.github.io/eks-charts" eks-charts), with -2, -3... when taken. It
// adds the new name to repos (which must not be nil) and returns it. Trailing slashes do not
// count when comparing URLs.
func RepositoryName(repos map[string]string, u string) string {
	if name := nameOf(repos, u); name != "" {
		return name
	}
	norm := strings.TrimRight(u, "/")
	base := "charts"
	if p, err := url.Parse(norm); err == nil {
		switch last := path.Base(p.Path); {
		case last != "" && last != "." && last != "/" && last != "charts" && last != "stable":
			base = last
		case p.Hostname() != "":
			base = strings.Split(p.Hostname(), ".")[0]
			if base == "charts" || base == "www" {
				if parts := strings.Split(p.Hostname(), "."); len(parts) > 1 {
					base = parts[1]
				}
			}
		}
	}
	base = strings.Trim(nonName.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if base == "" {
		base = "charts"
	}
	name := base
	for i := 2; ; i++ {
		if _, taken := repos[name]; !taken {
			break
		}
		name = base + "-" + strconv.Itoa(i)
	}
	repos[name] = u
	return name
}
