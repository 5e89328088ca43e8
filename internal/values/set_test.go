package values_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/secrets/secretstest"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

const world = `
accounts:
  - id: "111122223333"
    users:
      - name: reader
        accessKeys:
          - {id: AKIAREADER0000000001, secret: reader-secret-key-000000000000000000001}
        policies:
          - name: read
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: "ssm:GetParameters", Resource: "arn:aws:ssm:*:111122223333:parameter/*"}
                - {Effect: Allow, Action: ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"], Resource: "*"}
parameters:
PARAMETERS
secrets:
  - account: "111122223333"
    region: eu-west-1
    name: app/db
    versions:
      - {stages: [AWSCURRENT], secretString: '{"password":"secret-db-password"}'}
`

// startSim starts the AWS simulator with twelve parameters /p/00../p/11 and a secret app/db,
// and returns a resolver of kaji's kind that reads from it and the run's registry.
func startSim(t *testing.T) (*awssim.Server, *secrets.Lazy, *secrets.Registry) {
	t.Helper()
	var params strings.Builder
	for i := range 12 {
		fmt.Fprintf(&params, "  - {account: \"111122223333\", region: eu-west-1, name: /p/%02d, type: SecureString, value: secret-value-%02d}\n", i, i)
	}
	return startSimResolver(t, awssim.StartT(t, strings.Replace(world, "PARAMETERS\n", params.String(), 1)))
}

// startSimResolver returns a resolver of kaji's kind that reads from sim, as a new run makes
// one, and the run's registry.
func startSimResolver(t *testing.T, sim *awssim.Server) (*awssim.Server, *secrets.Lazy, *secrets.Registry) {
	t.Helper()
	cfg := sim.ConfigFor(t, "AKIAREADER0000000001", "eu-west-1")
	reg := secrets.NewRegistry()
	return sim, secrets.NewLazy(func(context.Context) (aws.Config, error) { return cfg, nil }, reg), reg
}

func calls(sim *awssim.Server, action string) int {
	n := 0
	for _, c := range sim.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

func release(name string, inline map[string]any, files ...string) spec.ResolvedRelease {
	r := spec.ResolvedRelease{Name: name}
	for _, f := range files {
		r.Values = append(r.Values, spec.ValuesLayer{File: f})
	}
	if inline != nil {
		r.Values = append(r.Values, spec.ValuesLayer{Inline: inline})
	}
	return r
}

// The references of every release prepared together are read in as few requests as AWS
// allows: twelve parameters over three releases take two GetParameters, not one per release.
func TestSetBatchesTheReferencesOfAllReleases(t *testing.T) {
	sim, lazy, reg := startSim(t)
	var rels []spec.ResolvedRelease
	for r := range 3 {
		inline := map[string]any{"db": map[string]any{"password": "ref+awssecrets://app/db#/password"}}
		for i := r * 4; i < r*4+4; i++ {
			inline[fmt.Sprintf("p%02d", i)] = fmt.Sprintf("ref+awsssm:///p/%02d", i)
		}
		rels = append(rels, release(fmt.Sprintf("r%d", r), inline))
	}
	set := values.NewSet(values.Options{Resolver: lazy})
	if err := set.Prepare(t.Context(), rels); err != nil {
		t.Fatal(err)
	}
	if n := calls(sim, "GetParameters"); n != 2 {
		t.Errorf("GetParameters called %d times for 12 parameters, want 2", n)
	}
	if n := calls(sim, "BatchGetSecretValue"); n != 1 {
		t.Errorf("BatchGetSecretValue called %d times, want 1", n)
	}
	got, err := set.Values(t.Context(), rels[2])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"db": map[string]any{"password": "secret-db-password"},
		"p08": "secret-value-08", "p09": "secret-value-09", "p10": "secret-value-10", "p11": "secret-value-11"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values of r2 = %v, want %v", got, want)
	}
	if reg.Len() != 13 {
		t.Errorf("%d secrets registered, want 13", reg.Len())
	}
	if red := reg.Redact("pw secret-value-03"); red != "pw (secret: ref+awsssm:///p/03)" {
		t.Errorf("redacted %q", red)
	}
	// Nothing is read again, and the values are a copy the caller may change.
	got["p08"] = "changed"
	again, err := set.Values(t.Context(), rels[2])
	if err != nil || again["p08"] != "secret-value-08" {
		t.Errorf("second Values = %v, %v; want the resolved values again", again, err)
	}
	if n := calls(sim, "GetParameters") + calls(sim, "BatchGetSecretValue"); n != 3 {
		t.Errorf("%d calls after a second Values, want 3", n)
	}
}

// A reference that fails fails its release only, with the path of the reference in that
// release's values.
func TestSetKeepsEachReleasesOwnErrors(t *testing.T) {
	_, lazy, _ := startSim(t)
	good := release("good", map[string]any{"a": "ref+awsssm:///p/01"})
	bad := release("bad", map[string]any{"x": map[string]any{"y": "ref+awsssm:///p/missing"}})
	set := values.NewSet(values.Options{Resolver: lazy})
	err := set.Prepare(t.Context(), []spec.ResolvedRelease{good, bad})
	if err == nil || !strings.Contains(err.Error(), "release bad: x.y: ref+awsssm:///p/missing") || strings.Contains(err.Error(), "release good") {
		t.Errorf("Prepare: %v; want the error of release bad only, with its path", err)
	}
	if v, err := set.Values(t.Context(), good); err != nil || v["a"] != "secret-value-01" {
		t.Errorf("good: %v, %v", v, err)
	}
	if _, err := set.Values(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Errorf("bad: %v, want ParameterNotFound", err)
	}
}

// A resolved value too short to hide is refused; a project without references needs no AWS
// configuration at all.
func TestSetRefusesShortSecretsAndLoadsAWSOnlyForReferences(t *testing.T) {
	loaded := 0
	lazy := secrets.NewLazy(func(context.Context) (aws.Config, error) {
		loaded++
		return aws.Config{}, fmt.Errorf("no credentials")
	}, secrets.NewRegistry())
	set := values.NewSet(values.Options{Resolver: lazy})
	if v, err := set.Values(t.Context(), release("plain", map[string]any{"a": "b"})); err != nil || v["a"] != "b" || loaded != 0 {
		t.Errorf("plain values: %v, %v, AWS configuration loaded %d times; want none", v, err, loaded)
	}
	_, err := set.Values(t.Context(), release("ref", map[string]any{"a": "ref+awsssm:///p/01"}))
	if err == nil || !strings.Contains(err.Error(), "no credentials") || !strings.Contains(err.Error(), "AWS credentials") {
		t.Errorf("err = %v; want the credentials error, explained", err)
	}

	sim, short, _ := startSim(t)
	if err := sim.PutParameter(awssim.Parameter{Account: "111122223333", Region: "eu-west-1", Name: "/short", Type: awssim.ParamSecureString, Value: "abc"}); err != nil {
		t.Fatal(err)
	}
	_, err = values.NewSet(values.Options{Resolver: short}).Values(t.Context(), release("short", map[string]any{"pw": "ref+awsssm:///short"}))
	if err == nil || !strings.Contains(err.Error(), "pw: secret (secret: ref+awsssm:///short) is 3 byte(s) long") || strings.Contains(err.Error(), "abc") {
		t.Errorf("err = %v; want the value refused as too short, without it", err)
	}
}

// SOPS files are decrypted once per run; their values and those of references are told to
// OnPrevious as the previous values held them.
func TestSetDecryptsSOPSAndTellsPreviousSecrets(t *testing.T) {
	_, lazy, _ := startSim(t)
	key := secretstest.NewAgeKey(t)
	t.Setenv("SOPS_AGE_KEY", key.Identity())
	file := filepath.Join(t.TempDir(), "db.sops.yaml")
	if err := os.WriteFile(file, key.EncryptYAML(t, []byte("db:\n  password: sops-password-1\n  port: 5432\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	told := map[string]string{}
	previous := map[string]values.Origin{}
	set := values.NewSet(values.Options{
		Decrypter: sopsvalues.Decrypter{}, Resolver: lazy,
		OnSecret: func(value, file string) error {
			mu.Lock()
			defer mu.Unlock()
			told[value] = file
			return nil
		},
		OnPrevious: func(value string, from values.Origin) { previous[value] = from },
	})
	r := release("db", map[string]any{"token": "ref+awsssm:///p/02"}, file)
	got, err := set.Values(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"db": map[string]any{"password": "sops-password-1", "port": float64(5432)}, "token": "secret-value-02"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(told, map[string]string{"sops-password-1": file, "5432": file}) {
		t.Errorf("OnSecret told %v", told)
	}
	// The file is read once per run: a change on disk is not seen by a second release.
	if err := os.WriteFile(file, []byte("db: {password: changed}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := set.Values(t.Context(), release("db2", nil, file)); err != nil || !reflect.DeepEqual(v["db"], want["db"]) {
		t.Errorf("second release: %v, %v; want the file as first read", v, err)
	}

	set.Previous("db", map[string]any{"db": map[string]any{"password": "old-sops-password", "port": 5432}, "token": "old-token-value"})
	wantPrev := map[string]values.Origin{"old-sops-password": {File: file}, "old-token-value": {Ref: "ref+awsssm:///p/02"}}
	if !reflect.DeepEqual(previous, wantPrev) {
		t.Errorf("OnPrevious told %v, want %v", previous, wantPrev)
	}
}
