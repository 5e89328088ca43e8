package export

// The objects of a Flux export, with the fields kaji writes, as Flux's APIs name them:
// helm.toolkit.fluxcd.io/v2 (helm-controller v1.6) and source.toolkit.fluxcd.io/v1
// (source-controller v1.9).

// Flux's API versions.
const (
	fluxHelmAPI   = "helm.toolkit.fluxcd.io/v2"
	fluxSourceAPI = "source.toolkit.fluxcd.io/v1"
)

// helmChartMediaType is the layer of an OCI artifact that holds a Helm chart.
const helmChartMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

type object struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       any        `json:"spec"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Finalizers  []string          `json:"finalizers,omitempty"`
}

type helmRepositorySpec struct {
	Interval string `json:"interval"`
	URL      string `json:"url"`
}

type ociRepositorySpec struct {
	Interval      string           `json:"interval"`
	URL           string           `json:"url"`
	Provider      string           `json:"provider,omitempty"`
	Ref           ociRef           `json:"ref"`
	LayerSelector ociLayerSelector `json:"layerSelector"`
}

type ociRef struct {
	Digest string `json:"digest,omitempty"`
	Tag    string `json:"tag,omitempty"`
	SemVer string `json:"semver,omitempty"`
}

type ociLayerSelector struct {
	MediaType string `json:"mediaType"`
	Operation string `json:"operation"`
}

type helmReleaseSpec struct {
	Interval         string         `json:"interval"`
	ReleaseName      string         `json:"releaseName"`
	TargetNamespace  string         `json:"targetNamespace"`
	StorageNamespace string         `json:"storageNamespace"`
	Chart            *hrChart       `json:"chart,omitempty"`
	ChartRef         *hrSourceRef   `json:"chartRef,omitempty"`
	DependsOn        []hrDependency `json:"dependsOn,omitempty"`
	Timeout          string         `json:"timeout"`
	MaxHistory       int            `json:"maxHistory"`
	Install          hrInstall      `json:"install"`
	Upgrade          hrUpgrade      `json:"upgrade"`
	DriftDetection   hrDrift        `json:"driftDetection"`
	ValuesFrom       []hrValuesRef  `json:"valuesFrom,omitempty"`
	Values           map[string]any `json:"values,omitempty"`
}

type hrChart struct {
	Spec hrChartSpec `json:"spec"`
}

type hrChartSpec struct {
	Chart             string      `json:"chart"`
	Version           string      `json:"version,omitempty"`
	ReconcileStrategy string      `json:"reconcileStrategy,omitempty"`
	SourceRef         hrSourceRef `json:"sourceRef"`
}

type hrSourceRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type hrDependency struct {
	Name string `json:"name"`
}

type hrInstall struct {
	CreateNamespace bool           `json:"createNamespace,omitempty"`
	CRDs            string         `json:"crds"`
	DisableWait     bool           `json:"disableWait,omitempty"`
	Remediation     *hrRemediation `json:"remediation,omitempty"`
}

type hrUpgrade struct {
	CRDs        string         `json:"crds"`
	DisableWait bool           `json:"disableWait,omitempty"`
	Remediation *hrRemediation `json:"remediation,omitempty"`
}

type hrRemediation struct {
	RemediateLastFailure bool   `json:"remediateLastFailure"`
	Strategy             string `json:"strategy,omitempty"`
}

type hrDrift struct {
	Mode   string         `json:"mode"`
	Ignore []hrIgnoreRule `json:"ignore,omitempty"`
}

type hrIgnoreRule struct {
	Paths  []string        `json:"paths"`
	Target *hrIgnoreTarget `json:"target,omitempty"`
}

type hrIgnoreTarget struct {
	Group string `json:"group,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Name  string `json:"name,omitempty"`
}

type hrValuesRef struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	ValuesKey  string `json:"valuesKey"`
	TargetPath string `json:"targetPath,omitempty"`
	Literal    bool   `json:"literal,omitempty"`
}

// kustomization is a kustomize.config.k8s.io/v1beta1 Kustomization that lists the files.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}
