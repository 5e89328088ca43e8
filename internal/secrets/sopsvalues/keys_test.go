package sopsvalues

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/config"
	sopskms "github.com/getsops/sops/v3/kms"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

const keysDir = "testdata/sops/keys"

type keysCase struct {
	Keys []struct {
		ARN     string            `json:"arn"`
		Role    string            `json:"role"`
		Profile string            `json:"profile"`
		Context map[string]string `json:"context"`
		Others  bool              `json:"otherKeys"`
	} `json:"keys"`
	Err string `json:"err"`
}

func loadKeysCases(t *testing.T) map[string]keysCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(keysDir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]keysCase
	if err := sigsyaml.UnmarshalStrict(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestKMSKeys reads the KMS keys of every file of testdata/sops/keys and compares them with
// cases.yaml.
func TestKMSKeys(t *testing.T) {
	cases := loadKeysCases(t)
	files, err := filepath.Glob(filepath.Join(keysDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, path := range files {
		name := filepath.Base(path)
		if name == "cases.yaml" {
			continue
		}
		c, ok := cases[name]
		if !ok {
			t.Errorf("%s has no case in cases.yaml", name)
			continue
		}
		tested++
		t.Run(name, func(t *testing.T) {
			got, err := KMSKeys(keysFile(t, path))
			if c.Err != "" {
				if err == nil || !strings.Contains(err.Error(), c.Err) {
					t.Fatalf("err = %v, want one containing %q (keys %+v)", err, c.Err, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("KMSKeys: %v", err)
			}
			var want []KMSKey
			for _, k := range c.Keys {
				want = append(want, KMSKey{ARN: k.ARN, Role: k.Role, Profile: k.Profile, Context: k.Context, OtherKeys: k.Others})
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("keys:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	if tested != len(cases) {
		t.Errorf("cases.yaml has %d cases, the directory %d files", len(cases), tested)
	}
}

// TestKMSKeysLikeSOPS reads the same files with SOPS' own stores: the KMS keys SOPS would try
// are the ones KMSKeys lists, with the same role, profile and context.
func TestKMSKeysLikeSOPS(t *testing.T) {
	for name, c := range loadKeysCases(t) {
		if c.Err != "" || name == "plain.yaml" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data := keysFile(t, filepath.Join(keysDir, name))
			var tree sops.Tree
			var err error
			if strings.HasSuffix(name, ".json") {
				tree, err = sopsjson.NewStore(&config.JSONStoreConfig{}).LoadEncryptedFile(data)
			} else {
				tree, err = sopsyaml.NewStore(&config.YAMLStoreConfig{}).LoadEncryptedFile(data)
			}
			if err != nil {
				t.Fatalf("SOPS cannot load the file: %v", err)
			}
			sopsKeys := map[string]bool{}
			for _, g := range tree.Metadata.KeyGroups {
				for _, k := range g {
					mk, ok := k.(*sopskms.MasterKey)
					if !ok {
						continue
					}
					ctx := map[string]string{}
					for k, v := range mk.EncryptionContext {
						ctx[k] = *v
					}
					if len(ctx) == 0 {
						ctx = nil
					}
					sopsKeys[kmsKeysIdentity(KMSKey{ARN: mk.Arn, Role: mk.Role, Profile: mk.AwsProfile, Context: ctx})] = true
				}
			}
			got, err := KMSKeys(data)
			if err != nil {
				t.Fatal(err)
			}
			kajiKeys := map[string]bool{}
			for _, k := range got {
				kajiKeys[kmsKeysIdentity(k)] = true
			}
			if !maps.Equal(kajiKeys, sopsKeys) {
				t.Errorf("kaji lists %q, SOPS %q", slices.Sorted(maps.Keys(kajiKeys)), slices.Sorted(maps.Keys(sopsKeys)))
			}
		})
	}
}

// TestKMSKeysOfEncryptedFile: the fixture encrypted by sops itself for age holds no KMS key,
// and the same file with a KMS key added holds that one.
func TestKMSKeysOfEncryptedFile(t *testing.T) {
	enc := keysFile(t, filepath.Join("testdata", "sops", "fixture", "values.enc.yaml"))
	keys, err := KMSKeys(enc)
	if err != nil || len(keys) != 0 {
		t.Fatalf("KMSKeys of an age file = %+v, %v", keys, err)
	}
	const arn = "arn:aws:kms:eu-west-1:111122223333:key/5d3c4a5e-0000-4000-8000-000000000001"
	withKMS := strings.Replace(string(enc), "\nsops:\n", "\nsops:\n    kms:\n        - arn: "+arn+"\n          enc: AQICAHg=\n", 1)
	if withKMS == string(enc) {
		t.Fatal("the fixture has no top-level sops key to add a KMS key to")
	}
	keys, err = KMSKeys([]byte(withKMS))
	if err != nil || !reflect.DeepEqual(keys, []KMSKey{{ARN: arn, OtherKeys: true}}) {
		t.Fatalf("KMSKeys = %+v, %v", keys, err)
	}
}

// TestKMSKeysMalformed: documents that are not YAML or JSON mappings are refused without
// quoting their content; empty documents have no keys.
func TestKMSKeysMalformed(t *testing.T) {
	for _, c := range []struct{ doc, err string }{
		{"", ""},
		{"{\"a\": \"sentinel-json\",", "not valid JSON: syntax error at byte"},
		{"a: [sentinel-yaml", "not valid YAML"},
		{"- sentinel-list", "not a mapping"},
		{"sops: sentinel-scalar", "sops key is not a mapping"},
		{"sops:\n  key_groups: sentinel", "sops.key_groups is not a list"},
		{"sops:\n  key_groups: [sentinel]", "sops.key_groups[0] is not a mapping"},
		{"sops:\n  kms: [sentinel]", "sops.kms[0] is not a mapping"},
	} {
		keys, err := KMSKeys([]byte(c.doc))
		if c.err == "" {
			if err != nil || keys != nil {
				t.Errorf("KMSKeys(%q) = %v, %v", c.doc, keys, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("KMSKeys(%q): err = %v, want %q", c.doc, err, c.err)
			continue
		}
		if strings.Contains(err.Error(), "sentinel") {
			t.Errorf("KMSKeys(%q): the error quotes the document: %v", c.doc, err)
		}
	}
}

// keysFile reads a test file.
func keysFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
