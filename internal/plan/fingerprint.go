package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"slices"
	"strings"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"kaji.dev/kaji/internal/digest"
)

// Fingerprint is what the plan of a release was computed from, as digests: they tell
// whether it changed, never what it holds. A saved plan keeps them, and applying it refuses
// when a new plan's differ.
type Fingerprint struct {
	// Desired is the sha256 of what apply would install: the chart's content, the merged
	// values and the cluster's version and APIs that the chart renders against, hashed as
	// one. Each secret in the values is hashed as its origin and version (see
	// values.Masker), never as its value: a saved plan holds no digest that a guess of a
	// secret could be checked against. Empty when the chart did not load.
	Desired string
	// Live is the sha256 of the live objects the plan compared, each without the fields the
	// plan ignores (status, resourceVersion, ignoreDifferences...), with the field managers
	// that own their fields other than status. A Secret, and any object that holds one of
	// the run's secrets, is hashed by its uid and resourceVersion instead of its content.
	// Empty when the plan read none.
	Live string
	// Objects are the live objects compared, in a stable order, by identity only: which of
	// them changed can be named when Live differs.
	Objects []LiveObject
}

// LiveObject identifies the version of one live object that a plan compared.
type LiveObject struct {
	Object ObjectRef
	// UID and ResourceVersion are the object's; both are empty when it does not exist.
	UID             string
	ResourceVersion string
}

// fingerprinter is what fingerprint needs besides the work: the values to hash (with
// secrets masked), the capabilities rendered against, and which text holds a secret.
type fingerprinter struct {
	masked    func(w *work) map[string]any
	caps      *chartcommon.Capabilities
	sensitive func(string) bool
	ignore    []FieldPath
}

// fingerprint records what the plan of w was computed from.
func (w *work) fingerprint(live *liveSet, fp fingerprinter) {
	if w.out.Loaded != nil {
		w.out.Fingerprint.Desired = w.desiredDigest(fp.masked, fp.caps)
	}
	seen := map[string]bool{}
	var objs []object
	for _, list := range [][]object{w.base, w.desired, w.crds} {
		for _, o := range list {
			if o.mapping == nil || seen[o.ref.key()] {
				continue
			}
			seen[o.ref.key()] = true
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return
	}
	slices.SortFunc(objs, func(a, b object) int { return strings.Compare(a.ref.key(), b.ref.key()) })
	h := sha256.New()
	for _, o := range objs {
		lo := LiveObject{Object: o.ref}
		l, err := live.get(o)
		digest.Field(h, o.ref.key())
		switch {
		case err != nil:
			digest.Field(h, "unknown") // the plan has an error for it, which apply refuses
		case l == nil:
			digest.Field(h, "absent")
		default:
			lo.UID, lo.ResourceVersion = string(l.GetUID()), l.GetResourceVersion()
			digest.Field(h, lo.UID)
			writeLive(h, o.ref, w.strip(l.Object, fp.ignore), lo.ResourceVersion, fp.sensitive)
			digest.JSON(h, managersOf(l))
		}
		w.out.Fingerprint.Objects = append(w.out.Fingerprint.Objects, lo)
	}
	w.out.Fingerprint.Live = "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// writeLive hashes a live object's content without the ignored fields, or, for a Secret or an
// object whose content holds one of the run's secrets, its resourceVersion: the API server
// changes it on every write, so a change still shows, and the digest cannot confirm a guess
// of what the object holds.
func writeLive(h hash.Hash, ref ObjectRef, stripped map[string]any, resourceVersion string, sensitive func(string) bool) {
	b, err := json.Marshal(stripped)
	if err != nil {
		b = []byte("error: " + err.Error())
	}
	if isSecret(ref) || (sensitive != nil && sensitive(string(b))) {
		digest.Field(h, "resourceVersion")
		digest.Field(h, resourceVersion)
		return
	}
	digest.Field(h, string(b))
}

// managersOf lists who owns which fields of u, outside the status subresource, which
// controllers rewrite all the time and apply does not touch. Times are left out: a manager
// that writes the same fields again owns nothing new.
func managersOf(u *unstructured.Unstructured) []any {
	var out []any
	for _, m := range u.GetManagedFields() {
		if m.Subresource != "" {
			continue
		}
		var fields any
		if m.FieldsV1 != nil {
			fields = string(m.FieldsV1.Raw)
		}
		out = append(out, []any{m.Manager, string(m.Operation), m.APIVersion, fields})
	}
	return out
}

// desiredDigest is desiredDigest of w's chart and masked values, computed once: the inputs
// of the release and the fingerprint of a saved plan both take it, against the same
// capabilities. w's chart must have loaded.
func (w *work) desiredDigest(masked func(*work) map[string]any, caps *chartcommon.Capabilities) string {
	if w.digest == "" {
		vals := masked(w)
		w.digest = desiredDigest(w.out.Loaded, vals, observableCaps(w.text, caps))
	}
	return w.digest
}

// desiredDigest hashes a chart's content (its dependencies' too), the values it is installed
// with and the capabilities it renders against: the cluster's version and its APIs, in a
// stable order.
func desiredDigest(ch *chartv2.Chart, vals map[string]any, caps *chartcommon.Capabilities) string {
	h := sha256.New()
	sum := digest.Chart(ch)
	h.Write(sum[:])
	digest.JSON(h, vals)
	digest.Field(h, "capabilities")
	if caps != nil {
		digest.Field(h, caps.KubeVersion.Version)
		versions := slices.Clone([]string(caps.APIVersions))
		slices.Sort(versions)
		for _, v := range slices.Compact(versions) {
			digest.Field(h, v)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
