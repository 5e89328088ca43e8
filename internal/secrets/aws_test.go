package secrets

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"kaji.dev/kaji/internal/awssim"
)

const (
	readerKey  = "AKIAREADER0000000001"
	limitedKey = "AKIALIMITED000000001"
	account    = "111122223333"
	region     = "eu-west-1"
)

// sentinels are every secret value of testdata/awssim.yaml; no error may show one.
var sentinels = []string{"sentinel-ssm-cmk", "sentinel-ssm-secure", "sentinel-ssm-json", "sentinel-sm-current", "sentinel-sm-previous", "sentinel-sm-token", "sentinel-sm-other"}

func startSim(t *testing.T) *awssim.Server {
	t.Helper()
	return awssim.StartFileT(t, "testdata/awssim.yaml")
}

// simConfig signs with a fixture key and talks to sim only.
func simConfig(t *testing.T, sim *awssim.Server, key string) aws.Config {
	t.Helper()
	return sim.ConfigFor(t, key, region)
}

// countCalls counts the simulator's answers to service's action, successful or not.
func countCalls(sim *awssim.Server, service, action string) int {
	n := 0
	for _, c := range sim.Calls() {
		if c.Service == service && c.Action == action {
			n++
		}
	}
	return n
}

// reported records what OnSecret was given.
type reported struct {
	mu     sync.Mutex
	labels map[string]string // label -> value
}

func (r *reported) add(value, label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.labels == nil {
		r.labels = map[string]string{}
	}
	r.labels[label] = value
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestResolveFromSimulator(t *testing.T) {
	sim := startSim(t)
	secretARN := findARN(t, sim, "app/db")
	values := map[string]any{
		"greeting": "ref+awsssm://app/public/greeting",
		"db": map[string]any{
			"password":  "ref+awsssm:///app/db/password",
			"user":      "secretref+awsssm://app/db/json#/user",
			"port":      "ref+awsssm://app/db/json#/port",
			"second":    "ref+awsssm://app/db/json#/nested/list/1",
			"plain":     "not a reference",
			"replicas":  3,
			"smCurrent": "ref+awssecrets://app/db#/password",
			"smOld":     "ref+awssecrets://" + secretARN + "?version_stage=AWSPREVIOUS#/password",
		},
		"list":   []any{"ref+awssecrets://app/token", "ref+awsssm://app/public/greeting?region=us-east-1", true},
		"cmk":    "ref+awsssm://app/public/cmk",
		"other":  "ref+awssecrets://other/token",
		"nested": map[string]any{"empty": map[string]any{}},
	}
	before := fmt.Sprint(values)
	gsvBefore := countCalls(sim, "secretsmanager", "GetSecretValue") // findARN's
	var rep reported
	r := NewResolver(simConfig(t, sim, readerKey), Options{OnSecret: rep.add})
	got, err := r.Resolve(ctxT(t), values)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"greeting": "hello",
		"db": map[string]any{
			"password":  "sentinel-ssm-secure",
			"user":      "app",
			"port":      "5432",
			"second":    "one",
			"plain":     "not a reference",
			"replicas":  3,
			"smCurrent": "sentinel-sm-current",
			"smOld":     "sentinel-sm-previous",
		},
		"list":   []any{"sentinel-sm-token", "hello from us-east-1", true},
		"cmk":    "sentinel-ssm-cmk",
		"other":  "sentinel-sm-other",
		"nested": map[string]any{"empty": map[string]any{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolved\n%v\nwant\n%v", got, want)
	}
	if fmt.Sprint(values) != before {
		t.Errorf("Resolve changed its input")
	}
	if rep.labels["ref+awssecrets://"+secretARN+"?version_stage=AWSPREVIOUS#/password"] != "sentinel-sm-previous" ||
		rep.labels["ref+awsssm:///app/db/password"] != "sentinel-ssm-secure" || len(rep.labels) != 11 {
		t.Errorf("OnSecret got %v", rep.labels)
	}
	// Two regions of SSM, one batch each; one batch of current secrets; the previous version
	// one by one.
	if n := countCalls(sim, "ssm", "GetParameters"); n != 2 {
		t.Errorf("%d GetParameters calls, want 2 (one per region)", n)
	}
	if n := countCalls(sim, "secretsmanager", "BatchGetSecretValue"); n != 1 {
		t.Errorf("%d BatchGetSecretValue calls, want 1", n)
	}
	if n := countCalls(sim, "secretsmanager", "GetSecretValue") - gsvBefore; n != 1 {
		t.Errorf("%d GetSecretValue calls, want 1 (the AWSPREVIOUS version)", n)
	}
}

// findARN reads a secret's ARN through the resolver's own client path: a reference by name
// resolves, and the simulator's ARN has the form Secrets Manager gives.
func findARN(t *testing.T, sim *awssim.Server, name string) string {
	t.Helper()
	r := NewResolver(simConfig(t, sim, readerKey), Options{})
	client := r.secretsClient(region)
	out, err := client.GetSecretValue(ctxT(t), secretValueInput(name))
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func TestResolveBatchesParameters(t *testing.T) {
	sim := startSim(t)
	values := map[string]any{}
	want := map[string]any{}
	for i := range 23 {
		name := fmt.Sprintf("/app/many/p%02d", i)
		if err := sim.PutParameter(awssim.Parameter{Account: account, Region: region, Name: name, Type: awssim.ParamSecureString, Value: fmt.Sprintf("v%02d", i)}); err != nil {
			t.Fatal(err)
		}
		values[fmt.Sprintf("k%02d", i)] = "ref+awsssm:/" + name
		want[fmt.Sprintf("k%02d", i)] = fmt.Sprintf("v%02d", i)
	}
	got, err := NewResolver(simConfig(t, sim, readerKey), Options{}).Resolve(ctxT(t), values)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if n := countCalls(sim, "ssm", "GetParameters"); n != 3 {
		t.Errorf("%d GetParameters calls for 23 parameters, want 3", n)
	}
}

func TestResolveMemoises(t *testing.T) {
	sim := startSim(t)
	values := map[string]any{
		"a": "ref+awsssm://app/db/json#/user",
		"b": "ref+awsssm:///app/db/json#/password",
		"c": "ref+awssecrets://app/db#/username",
		"d": []any{"ref+awssecrets://app/db#/password", "ref+awssecrets://app/db"},
	}
	r := NewResolver(simConfig(t, sim, readerKey), Options{})
	for i := range 2 {
		if _, err := r.Resolve(ctxT(t), values); err != nil {
			t.Fatal(err)
		}
		if n := countCalls(sim, "ssm", "GetParameters"); n != 1 {
			t.Errorf("round %d: %d GetParameters calls, want 1", i, n)
		}
		if n := countCalls(sim, "secretsmanager", "BatchGetSecretValue"); n != 1 {
			t.Errorf("round %d: %d BatchGetSecretValue calls, want 1", i, n)
		}
	}
	// A new Resolver (a new run) reads again.
	if _, err := NewResolver(simConfig(t, sim, readerKey), Options{}).Resolve(ctxT(t), values); err != nil {
		t.Fatal(err)
	}
	if n := countCalls(sim, "ssm", "GetParameters"); n != 2 {
		t.Errorf("a new resolver made %d GetParameters calls in all, want 2", n)
	}
}

func TestResolveFallsBackToGetSecretValue(t *testing.T) {
	sim := startSim(t)
	var rep reported
	got, err := NewResolver(simConfig(t, sim, limitedKey), Options{OnSecret: rep.add}).Resolve(ctxT(t), map[string]any{
		"a": "ref+awssecrets://app/db#/password",
		"b": "ref+awssecrets://app/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != "sentinel-sm-current" || got["b"] != "sentinel-sm-token" {
		t.Errorf("got %v", got)
	}
	if countCalls(sim, "secretsmanager", "BatchGetSecretValue") != 1 || countCalls(sim, "secretsmanager", "GetSecretValue") != 2 {
		t.Errorf("calls: %+v", sim.Calls())
	}
}

func TestResolveErrors(t *testing.T) {
	sim := startSim(t)
	tests := []struct {
		name string
		key  string
		ref  string
		// want are parts of the error, beside the path and the reference.
		want []string
	}{
		{"missing parameter", readerKey, "ref+awsssm://app/nope", []string{"ParameterNotFound", "ssm:GetParameters"}},
		{"missing secret", readerKey, "ref+awssecrets://app/nope", []string{"ResourceNotFoundException", "secretsmanager:GetSecretValue"}},
		{"missing stage", readerKey, "ref+awssecrets://app/token?version_stage=AWSPREVIOUS", []string{"ResourceNotFoundException", "AWSPREVIOUS"}},
		{"missing key", readerKey, "ref+awsssm://app/db/json#/nope", []string{"KeyNotFound", `no key "nope"`}},
		{"key of an object", readerKey, "ref+awsssm://app/db/json#/nested", []string{"NotAString", "an object"}},
		{"key in a string", readerKey, "ref+awssecrets://app/token#/password", []string{"KeyNotFound", "a string, not an object"}},
		{"malformed", readerKey, "ref+awsssm://app?mode=recursive", []string{"MalformedReference", "mode=recursive"}},
		{"parameter denied", limitedKey, "ref+awsssm://app/db/password", []string{"AccessDeniedException", "ssm:GetParameters", "allow ssm:GetParameters"}},
		{"parameter key denied", limitedKey, "ref+awsssm://app/public/cmk", []string{"AccessDeniedException", "kms:Decrypt"}},
		{"secret denied", limitedKey, "ref+awssecrets://other/token", []string{"AccessDeniedException", "secretsmanager:GetSecretValue"}},
		{"secret key denied", readerKey, "ref+awssecrets://app/kms-denied", []string{"AccessDeniedException", "kms:Decrypt"}},
	}
	if err := sim.PutSecret(awssim.Secret{Account: account, Region: region, Name: "app/kms-denied", KMSKeyID: "9999aaaa-12ab-34cd-56ef-1234567890ab",
		Versions: []awssim.SecretVersion{{Stages: []string{"AWSCURRENT"}, SecretString: "sentinel-sm-kms"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep reported
			_, err := NewResolver(simConfig(t, sim, tt.key), Options{OnSecret: rep.add}).Resolve(ctxT(t), map[string]any{"x": map[string]any{"y": tt.ref}})
			var re *ResolveError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a ResolveError", err)
			}
			msg := err.Error()
			for _, w := range append([]string{"x.y: ", tt.ref}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, s := range append(sentinels, "sentinel-sm-kms") {
				if strings.Contains(msg, s) {
					t.Errorf("error shows the value %s: %s", s, msg)
				}
			}
			if len(rep.labels) != 0 {
				t.Errorf("OnSecret was called for a failed run: %v", rep.labels)
			}
		})
	}
}

// TestResolveCollectsEveryFailure checks that every failing reference is reported, each at
// its path, and that a denied batch is retried name by name so that only the denied
// parameter fails.
func TestResolveCollectsEveryFailure(t *testing.T) {
	sim := startSim(t)
	_, err := NewResolver(simConfig(t, sim, limitedKey), Options{}).Resolve(ctxT(t), map[string]any{
		"ok":      "ref+awsssm://app/public/greeting",
		"denied":  "ref+awsssm://app/db/password",
		"missing": "ref+awsssm://app/public/nope",
		"secret":  "ref+awssecrets://app/nope",
		"bad":     "ref+vault://x",
	})
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("err = %v, want several", err)
	}
	paths := map[string]string{}
	for _, e := range joined.Unwrap() {
		var re *ResolveError
		if !errors.As(e, &re) {
			t.Fatalf("%v is not a ResolveError", e)
		}
		paths[re.Path] = re.Code
	}
	want := map[string]string{"denied": "AccessDeniedException", "missing": "ParameterNotFound", "secret": "ResourceNotFoundException", "bad": "MalformedReference"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("failures %v, want %v", paths, want)
	}
}

func TestResolveNeedsARegion(t *testing.T) {
	sim := startSim(t)
	cfg := simConfig(t, sim, readerKey)
	cfg.Region = ""
	_, err := NewResolver(cfg, Options{}).Resolve(ctxT(t), map[string]any{"a": "ref+awsssm://app/public/greeting"})
	if err == nil || !strings.Contains(err.Error(), "NoRegion") || !strings.Contains(err.Error(), "?region=") {
		t.Fatalf("err = %v, want NoRegion", err)
	}
	got, err := NewResolver(cfg, Options{}).Resolve(ctxT(t), map[string]any{"a": "ref+awsssm://app/public/greeting?region=eu-west-1"})
	if err != nil || got["a"] != "hello" {
		t.Fatalf("with ?region=: %v, %v", got, err)
	}
}

func secretValueInput(id string) *secretsmanager.GetSecretValueInput {
	return &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
}
