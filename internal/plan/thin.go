package plan

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
)

// thinHistory spares Helm's storage driver decoding every revision of a release, each a
// gzipped copy of the whole chart, when the plan reads only two of them: the latest, and the
// latest deployed. Every other record in items (one Secret per revision, from one list) gets,
// in place of its release data, a release that holds only what its labels say (name,
// namespace, revision number and status), which is all the plan reads of it. A release whose
// records lack those labels is left as it is.
func thinHistory(items []corev1.Secret) {
	type key struct{ namespace, name string }
	type keep struct{ latest, deployed int } // revision numbers
	groups := map[key]*keep{}
	versions := make([]int, len(items))
	for i := range items {
		s := &items[i]
		k := key{s.Namespace, s.Labels["name"]}
		v, err := strconv.Atoi(s.Labels["version"])
		if k.name == "" || err != nil || v < 1 || s.Labels["status"] == "" {
			groups[k] = nil // not thinned
			continue
		}
		versions[i] = v
		g, seen := groups[k]
		if seen && g == nil {
			continue
		}
		if g == nil {
			g = &keep{}
			groups[k] = g
		}
		g.latest = max(g.latest, v)
		if s.Labels["status"] == "deployed" {
			g.deployed = max(g.deployed, v)
		}
	}
	for i := range items {
		s := &items[i]
		g := groups[key{s.Namespace, s.Labels["name"]}]
		if g == nil || versions[i] == g.latest || versions[i] == g.deployed {
			continue
		}
		stubRecord(s, versions[i])
	}
}

// labelRelease is the revision that the labels of its storage Secret, in namespace,
// describe: name, revision number, status, and the labels themselves, as Helm's driver gives
// them. It is nil when they lack any of the three.
func labelRelease(namespace string, labels map[string]string) *rspb.Release {
	v, err := strconv.Atoi(labels["version"])
	if labels["name"] == "" || err != nil || v < 1 || labels["status"] == "" {
		return nil
	}
	return &rspb.Release{Name: labels["name"], Namespace: namespace, Version: v,
		Info: &rspb.Info{Status: common.Status(labels["status"])}, Labels: labels}
}

// stubRecord puts into s, in place of its release data, a release made of its labels: name,
// namespace, revision number and status.
func stubRecord(s *corev1.Secret, version int) {
	stub, err := json.Marshal(map[string]any{
		"name": s.Labels["name"], "namespace": s.Namespace, "version": version,
		"info": map[string]any{"status": s.Labels["status"]},
	})
	if err != nil {
		return
	}
	data := make(map[string][]byte, len(s.Data))
	for k, v := range s.Data {
		data[k] = v
	}
	data["release"] = []byte(base64.StdEncoding.EncodeToString(stub))
	s.Data = data
}
