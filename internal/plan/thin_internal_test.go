package plan

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func record(ns, name, version, status string) corev1.Secret {
	labels := map[string]string{"owner": "helm", "name": name, "status": status}
	if version != "" {
		labels["version"] = version
	}
	return corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sh.helm.release.v1." + name + ".v" + version, Labels: labels},
		Data:       map[string][]byte{"release": []byte("full " + name + " " + version)},
	}
}

func TestThinHistoryKeepsLatestAndDeployed(t *testing.T) {
	items := []corev1.Secret{
		record("a", "web", "1", "superseded"),
		record("a", "web", "2", "deployed"),
		record("a", "web", "3", "failed"),
		record("b", "web", "1", "superseded"), // another release of the same name
		record("b", "web", "2", "deployed"),
		record("a", "odd", "1", "superseded"), // a record without a version label: left alone
		record("a", "odd", "", "deployed"),
	}
	thinHistory(items)
	full := map[int]bool{1: true, 2: true, 4: true, 5: true, 6: true}
	for i, s := range items {
		data := string(s.Data["release"])
		if full[i] {
			if data != "full "+s.Labels["name"]+" "+s.Labels["version"] {
				t.Errorf("%s/%s: %q, want it left as it is", s.Namespace, s.Name, data)
			}
			continue
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatalf("%s/%s: %v", s.Namespace, s.Name, err)
		}
		var stub struct {
			Name, Namespace string
			Version         int
			Info            struct{ Status string }
		}
		if err := json.Unmarshal(b, &stub); err != nil {
			t.Fatal(err)
		}
		if stub.Name != "web" || stub.Namespace != s.Namespace || stub.Version != 1 || stub.Info.Status != "superseded" {
			t.Errorf("%s/%s: stub %+v", s.Namespace, s.Name, stub)
		}
	}
}
