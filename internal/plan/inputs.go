package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/release/common"

	"kaji.dev/kaji/internal/digest"
	"kaji.dev/kaji/internal/release"
)

// inputsFormat changes whenever what a revision renders from, or how kaji renders it,
// changes meaning: a revision labeled by an older kaji is then rendered again.
const inputsFormat = "kaji inputs 1"

// inputsDigest hashes everything that the manifest of w's release is rendered from: the
// release's name and namespace, its ignoreDifferences (left out of what is stored), the
// chart, the values (each secret as its origin and version, see maskedValues), the
// capabilities and the Helm SDK that renders. Empty when the chart did not load.
func (p *Planner) inputsDigest(w *work, caps *chartcommon.Capabilities) string {
	if w.out.Loaded == nil {
		return ""
	}
	h := sha256.New()
	digest.Field(h, inputsFormat)
	digest.Field(h, helmVersion())
	digest.Field(h, w.spec.Name)
	digest.Field(h, w.spec.Namespace)
	digest.JSON(h, w.spec.Ignore)
	digest.Field(h, w.desiredDigest(p.maskedValues, caps))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// InputsLabel is the value of release.InputsLabel for a revision written from inputs (an
// inputsDigest) as the given revision number. The number is in it so that the label, which
// Helm carries over to the next revision when someone else upgrades or rolls back, never
// matches that revision.
func InputsLabel(inputs string, revision int) string {
	if inputs == "" || revision < 1 {
		return ""
	}
	sum := sha256.Sum256([]byte(inputs + "@" + strconv.Itoa(revision)))
	return hex.EncodeToString(sum[:20]) // a label value has at most 63 characters
}

// storedIsRendered reports whether the manifest of w's latest revision is what rendering the
// chart now would give, so that the plan can take it without rendering: kaji wrote that
// revision, deployed, from the same inputs (its release.InputsLabel), and when the chart or
// the values call lookup, every call of that revision's render answers as it did then
// (sameLookups).
func (p *Planner) storedIsRendered(w *work, inputs string) bool {
	latest := w.hist.latest
	if inputs == "" || latest == nil || w.recover || statusOf(latest) != common.StatusDeployed || w.hist.base() != latest {
		return false
	}
	want := InputsLabel(inputs, latest.Version)
	if want == "" || latest.Labels[release.InputsLabel] != want {
		return false
	}
	return !w.callsLookup || p.sameLookups(latest.Labels[release.LookupsAnnotation])
}

// callsLookup reports whether the chart's text (chartText: its templates, its dependencies',
// their default values and the values, which tpl can render) mentions lookup.
func callsLookup(text []byte) bool { return bytes.Contains(text, []byte("lookup")) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("lookup APIVersions") // unknown: as if it mentioned both
	}
	return b
}

// helmVersion is the version of the Helm SDK built in, which renders the charts.
var helmVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "helm.sh/helm/v4" {
				if m.Replace != nil {
					return m.Replace.Path + "@" + m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return "unknown"
})

// takeStored makes the latest revision's manifest what w renders (see storedIsRendered): the
// chart and values are those of that revision, so apply has nothing to upgrade unless the live
// objects drifted.
func (p *Planner) takeStored(w *work) error {
	latest := w.hist.latest
	stored, err := parseManifest(latest.Manifest)
	if err != nil {
		return err
	}
	removed := w.stripRendered(stored)
	w.desired = place(stored, w.spec.Name, w.spec.Namespace, p.Discovery)
	w.base = place(stored, w.spec.Name, w.spec.Namespace, p.Discovery)
	w.noteIgnored(removed)
	w.crds, err = chartCRDs(w.out.Loaded, p.Discovery)
	if err != nil {
		return err
	}
	w.out.Lookups = latest.Labels[release.LookupsAnnotation]
	w.out.Revision = latest.Version + 1
	w.out.Hooks = hooksFired(latest.Hooks, true)
	w.cmp = comparison{}
	return nil
}

// observableCaps is caps as far as a chart can tell them apart, for the digest of what a
// release renders from: its Kubernetes version, and the API versions only when the chart's
// text (chartText) mentions APIVersions, the only way to read them; then the API versions of
// the built-in groups without a dot (v1, apps/v1, batch/v1, ...) and of the groups the text
// mentions.
// So a CRD that another release installs, which adds API versions of its own group, does not
// change the inputs of every release in the cluster.
func observableCaps(text []byte, caps *chartcommon.Capabilities) *chartcommon.Capabilities {
	if caps == nil {
		return nil
	}
	out := &chartcommon.Capabilities{KubeVersion: caps.KubeVersion, HelmVersion: caps.HelmVersion}
	if !bytes.Contains(text, []byte("APIVersions")) {
		return out
	}
	for _, v := range caps.APIVersions {
		group, _, grouped := strings.Cut(v, "/")
		if !grouped || !strings.Contains(group, ".") || bytes.Contains(text, []byte(group)) {
			out.APIVersions = append(out.APIVersions, v)
		}
	}
	return out
}

// chartText is the text of the templates of ch and of its dependencies, their default values
// and vals, as one byte slice to search (callsLookup, observableCaps). Empty without a chart.
func chartText(ch *chartv2.Chart, vals map[string]any) []byte {
	if ch == nil {
		return nil
	}
	var b bytes.Buffer
	var add func(c *chartv2.Chart)
	add = func(c *chartv2.Chart) {
		for _, f := range c.Templates {
			b.Write(f.Data)
			b.WriteByte(0)
		}
		b.Write(mustJSON(c.Values))
		for _, d := range c.Dependencies() {
			add(d)
		}
	}
	add(ch)
	b.Write(mustJSON(vals))
	return b.Bytes()
}
