package secrets

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"kaji.dev/kaji/internal/secrets/secretstest"
)

// startMoto runs moto_server, an independent AWS emulator, and returns an SDK config that
// talks to it.
func startMoto(t *testing.T) aws.Config {
	t.Helper()
	m := secretstest.StartMoto(t)
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAMOTO000000000001", "moto-secret", ""),
		BaseEndpoint: aws.String(m.Endpoint),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}
}

func TestResolveFromMoto(t *testing.T) {
	cfg := startMoto(t)
	ctx := ctxT(t)
	put := func(region, name string, typ ssmtypes.ParameterType, value string) {
		t.Helper()
		_, err := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.Region = region }).PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Type: typ, Value: aws.String(value), Overwrite: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(region, "/app/public/greeting", ssmtypes.ParameterTypeString, "hello")
	put(region, "/app/db/password", ssmtypes.ParameterTypeSecureString, "sentinel-moto-secure")
	put(region, "/app/db/json", ssmtypes.ParameterTypeSecureString, `{"user":"app","password":"sentinel-moto-json"}`)
	put("us-east-1", "/app/public/greeting", ssmtypes.ParameterTypeString, "hello from us-east-1")
	values := map[string]any{}
	want := map[string]any{}
	for i := range 12 {
		put(region, fmt.Sprintf("/app/many/p%02d", i), ssmtypes.ParameterTypeString, fmt.Sprintf("v%02d", i))
		values[fmt.Sprintf("many%02d", i)] = fmt.Sprintf("ref+awsssm://app/many/p%02d", i)
		want[fmt.Sprintf("many%02d", i)] = fmt.Sprintf("v%02d", i)
	}

	sm := secretsmanager.NewFromConfig(cfg)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"),
		SecretString: aws.String(`{"username":"app","password":"sentinel-moto-old"}`)})
	if err != nil {
		t.Fatal(err)
	}
	// A new value makes the first one AWSPREVIOUS.
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"),
		SecretString: aws.String(`{"username":"app","password":"sentinel-moto-new"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/token"), SecretString: aws.String("sentinel-moto-token")}); err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)

	refs := map[string]any{
		"greeting":  "ref+awsssm://app/public/greeting",
		"usEast":    "ref+awsssm://app/public/greeting?region=us-east-1",
		"password":  "ref+awsssm:///app/db/password",
		"user":      "ref+awsssm://app/db/json#/user",
		"dbCurrent": "ref+awssecrets://app/db#/password",
		"dbOld":     "secretref+awssecrets://" + arn + "?version_stage=AWSPREVIOUS#/password",
		"token":     "ref+awssecrets://app/token",
	}
	for k, v := range refs {
		values[k] = v
	}
	for k, v := range map[string]any{"greeting": "hello", "usEast": "hello from us-east-1", "password": "sentinel-moto-secure", "user": "app",
		"dbCurrent": "sentinel-moto-new", "dbOld": "sentinel-moto-old", "token": "sentinel-moto-token"} {
		want[k] = v
	}
	var rep reported
	r := NewResolver(cfg, Options{OnSecret: rep.add})
	got, err := r.Resolve(ctx, values)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolved\n%v\nwant\n%v", got, want)
	}
	if rep.labels["ref+awsssm:///app/db/password"] != "sentinel-moto-secure" {
		t.Errorf("OnSecret got %v", rep.labels)
	}
	// Each reference has the version AWS names: a parameter's number, a secret's VersionId
	// (the current and the previous versions differ).
	versions := map[string]string{}
	for k, ref := range refs {
		v, ok := r.Version(ref.(string))
		if !ok || v == "" {
			t.Errorf("%s (%s): no version", k, ref)
		}
		versions[k] = v
	}
	if versions["dbCurrent"] == versions["dbOld"] {
		t.Errorf("the current and previous versions of app/db are both %q", versions["dbCurrent"])
	}
	if versions["password"] != "1" {
		t.Errorf("/app/db/password is at version %q, want 1", versions["password"])
	}

	_, err = r.Resolve(ctx, map[string]any{
		"p": "ref+awsssm://app/nope",
		"s": "ref+awssecrets://app/nope",
		"k": "ref+awssecrets://app/db#/nope",
	})
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 3 {
		t.Fatalf("err = %v, want three failures", err)
	}
	codes := map[string]string{}
	for _, e := range joined.Unwrap() {
		var re *ResolveError
		if !errors.As(e, &re) {
			t.Fatalf("%v is not a ResolveError", e)
		}
		codes[re.Path] = re.Code
	}
	if codes["p"] != "ParameterNotFound" || codes["s"] != "ResourceNotFoundException" || codes["k"] != "KeyNotFound" {
		t.Errorf("codes %v", codes)
	}
	msg := err.Error()
	for _, w := range []string{"ssm:GetParameters", "secretsmanager:GetSecretValue"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %s: %s", w, msg)
		}
	}
	if strings.Contains(msg, "sentinel-moto") {
		t.Errorf("error shows a value: %s", msg)
	}
}
