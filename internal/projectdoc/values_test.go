package projectdoc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/secrets/secretstest"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// yamlMap decodes YAML values as Helm's loader does.
func yamlMap(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := sigsyaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func formatValues(vs []Value) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s = %s [%s] from %s\n", v.Path, v.Text, v.Kind, v.From)
	}
	return b.String()
}

func TestDiffering(t *testing.T) {
	defaults := `
replicas: 1
image: {repository: nginx, tag: "1.27"}
ports: [80]
resources: {limits: {cpu: 100m}}
debug: false
`
	for _, tc := range []struct {
		name, user, want string
	}{{
		name: "the same as the defaults",
		user: "replicas: 1\nimage: {tag: \"1.27\"}\nports: [80]\n",
		want: "",
	}, {
		name: "a number compares by value, whatever its decoding",
		user: "replicas: 1.0\n",
		want: "",
	}, {
		name: "changed, added, keys in order, lists whole",
		user: "replicas: 3\nimage: {tag: \"1.28\"}\nports: [80, 443]\nextra: {\"a.b\": x}\n",
		want: "extra[\"a.b\"] = \"x\" [plain] from kaji.yaml\n" +
			"image.tag = \"1.28\" [plain] from kaji.yaml\n" +
			"ports = [80,443] [plain] from kaji.yaml\n" +
			"replicas = 3 [plain] from kaji.yaml\n",
	}, {
		name: "null removes a default, and does nothing without one",
		user: "resources: {limits: {cpu: null}}\nabsent: null\n",
		want: "resources.limits.cpu = null [plain] from kaji.yaml\n",
	}, {
		name: "an empty map over a map changes nothing; over nothing it adds a key",
		user: "resources: {}\nannotations: {}\n",
		want: "annotations = {} [plain] from kaji.yaml\n",
	}, {
		name: "a reference shows as written",
		user: "db: {password: ref+awsssm:///prod/db/password}\n",
		want: "db.password = ref+awsssm:///prod/db/password [reference] from kaji.yaml\n",
	}, {
		name: "HTML characters stay as they are",
		user: "debug: \"<b>&\"\n",
		want: "debug = \"<b>&\" [plain] from kaji.yaml\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			user := yamlMap(t, tc.user)
			layers := []layer{{vals: user, from: "kaji.yaml"}}
			got, err := differing(user, yamlMap(t, defaults), layers)
			if err != nil {
				t.Fatal(err)
			}
			if s := formatValues(got); s != tc.want {
				t.Errorf("differing:\n%s\nwant:\n%s", s, tc.want)
			}
		})
	}
}

// Each value is said to come from the last layer that sets it; a value that a SOPS file sets
// encrypted shows as a secret of that file, even where it may equal the default, and what it
// holds appears nowhere. A key the SOPS file leaves unencrypted shows as it is.
func TestDifferingLayersAndSecrets(t *testing.T) {
	dir := t.TempDir()
	key := secretstest.NewAgeKey(t)
	sentinel := "kajidocsentinel-" + strings.ToLower(t.Name()[:4])
	base := filepath.Join(dir, "values.yaml")
	sops := filepath.Join(dir, "values", "prod.sops.yaml")
	if err := os.MkdirAll(filepath.Dir(sops), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, []byte("replicas: 2\nimage: {tag: \"1.28\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := "db:\n  password: " + sentinel + "\n  port: 0\n  host_unencrypted: db.internal\nreplicas: 5\n"
	if err := os.WriteFile(sops, key.EncryptYAML(t, []byte(plain)), 0o600); err != nil {
		t.Fatal(err)
	}
	res := &spec.Resolved{Dir: dir}
	r := spec.ResolvedRelease{Name: "web", Values: []spec.ValuesLayer{
		{File: base, Origin: spec.Pos{File: filepath.Join(dir, "kaji.yaml"), Line: 3}},
		{Inline: map[string]any{"image": map[string]any{"tag": "1.29"}}, Origin: spec.Pos{File: filepath.Join(dir, "kaji.yaml"), Line: 5}},
		{File: sops, Origin: spec.Pos{File: filepath.Join(dir, "kaji.yaml"), Line: 9}},
	}}
	// The values as a run reads them offline, as kaji validate and kaji docs do.
	set := values.NewSet(values.Options{Decrypter: sopsvalues.Offline{}})
	merged, err := set.Values(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := readLayers(res, r)
	if err != nil {
		t.Fatal(err)
	}
	defaults := yamlMap(t, "replicas: 1\nimage: {tag: \"1.27\"}\ndb: {password: \"\", port: 0, host_unencrypted: localhost}\n")
	got, err := differing(merged, defaults, layers)
	if err != nil {
		t.Fatal(err)
	}
	want := "db.host_unencrypted = \"db.internal\" [plain] from values/prod.sops.yaml\n" +
		"db.password = (secret from values/prod.sops.yaml) [secret] from values/prod.sops.yaml\n" +
		"db.port = (secret from values/prod.sops.yaml) [secret] from values/prod.sops.yaml\n" +
		"image.tag = \"1.29\" [plain] from kaji.yaml\n" +
		"replicas = (secret from values/prod.sops.yaml) [secret] from values/prod.sops.yaml\n"
	s := formatValues(got)
	if s != want {
		t.Errorf("differing:\n%s\nwant:\n%s", s, want)
	}
	if strings.Contains(s, sentinel) {
		t.Errorf("the secret shows:\n%s", s)
	}
}
