package awssim

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Access keys of testdata/secrets.yaml.
const (
	readerKey  = "AKIAREADER0000000001"
	limitedKey = "AKIALIMITED000000001"
	nobodyKey  = "AKIANOBODY0000000001"
)

func startSecretsSim(t *testing.T) *Server {
	t.Helper()
	fx, err := LoadFixture("testdata/secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := Start(fx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func TestGetParameters(t *testing.T) {
	sim := startSecretsSim(t)
	client := ssm.NewFromConfig(sdkConfig(t, sim, readerKey))
	tests := []struct {
		name      string
		names     []string
		decrypt   bool
		want      map[string]string // name -> value
		wantTypes map[string]ssmtypes.ParameterType
		invalid   []string
	}{
		{
			name:      "string and string list",
			names:     []string{"/app/public/greeting", "/app/public/hosts"},
			want:      map[string]string{"/app/public/greeting": "hello", "/app/public/hosts": "a.example,b.example"},
			wantTypes: map[string]ssmtypes.ParameterType{"/app/public/greeting": ssmtypes.ParameterTypeString, "/app/public/hosts": ssmtypes.ParameterTypeStringList},
		},
		{
			name:      "secure strings decrypted, with the managed key and a customer managed key",
			names:     []string{"/app/db/password", "/app/db/cmk"},
			decrypt:   true,
			want:      map[string]string{"/app/db/password": "s3cr3t-managed", "/app/db/cmk": "s3cr3t-cmk"},
			wantTypes: map[string]ssmtypes.ParameterType{"/app/db/password": ssmtypes.ParameterTypeSecureString},
		},
		{
			name:    "missing names are listed, not failed",
			names:   []string{"/app/public/greeting", "/app/nope", "/app/also-nope"},
			want:    map[string]string{"/app/public/greeting": "hello"},
			invalid: []string{"/app/nope", "/app/also-nope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetParameters(ctxT(t), &ssm.GetParametersInput{Names: tt.names, WithDecryption: aws.Bool(tt.decrypt)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range out.Parameters {
				got[aws.ToString(p.Name)] = aws.ToString(p.Value)
				if want, ok := tt.wantTypes[aws.ToString(p.Name)]; ok && p.Type != want {
					t.Errorf("%s: type %s, want %s", aws.ToString(p.Name), p.Type, want)
				}
				if !strings.HasPrefix(aws.ToString(p.ARN), "arn:aws:ssm:eu-west-1:111122223333:parameter/app/") {
					t.Errorf("%s: ARN %s", aws.ToString(p.Name), aws.ToString(p.ARN))
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d parameters, want %d", len(got), len(tt.want))
			}
			for name, v := range tt.want {
				if got[name] != v {
					t.Errorf("%s = %q, want %q", name, got[name], v)
				}
			}
			if !slices.Equal(out.InvalidParameters, tt.invalid) {
				t.Errorf("InvalidParameters = %v, want %v", out.InvalidParameters, tt.invalid)
			}
		})
	}
}

func TestGetParametersSecureStringWithoutDecryption(t *testing.T) {
	sim := startSecretsSim(t)
	client := ssm.NewFromConfig(sdkConfig(t, sim, readerKey))
	out, err := client.GetParameters(ctxT(t), &ssm.GetParametersInput{Names: []string{"/app/db/password"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 1 {
		t.Fatalf("got %d parameters", len(out.Parameters))
	}
	if v := aws.ToString(out.Parameters[0].Value); v == "" || strings.Contains(v, "s3cr3t") {
		t.Errorf("a SecureString read without decryption came back as %q; want ciphertext", v)
	}
}

func TestGetParametersErrors(t *testing.T) {
	sim := startSecretsSim(t)
	tests := []struct {
		name     string
		key      string
		names    []string
		wantCode string
		wantMsg  string
	}{
		{"more than ten names", readerKey, []string{"/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i", "/j", "/k"}, "ValidationException", "less than or equal to 10"},
		{"one denied name denies the call", limitedKey, []string{"/app/public/greeting", "/app/db/password"}, "AccessDeniedException", "ssm:GetParameters on resource: arn:aws:ssm:eu-west-1:111122223333:parameter/app/db/password"},
		{"no policy at all", nobodyKey, []string{"/app/public/greeting"}, "AccessDeniedException", "no identity-based policy allows the ssm:GetParameters action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := ssm.NewFromConfig(sdkConfig(t, sim, tt.key))
			_, err := client.GetParameters(ctxT(t), &ssm.GetParametersInput{Names: tt.names, WithDecryption: aws.Bool(true)})
			if apiCode(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestGetParametersKMSDenied(t *testing.T) {
	sim := startSecretsSim(t)
	if err := sim.PutParameter(Parameter{Account: "111122223333", Region: region, Name: "/app/public/cmk", Type: ParamSecureString,
		KeyID: "9999aaaa-12ab-34cd-56ef-1234567890ab", Value: "s3cr3t-other-key"}); err != nil {
		t.Fatal(err)
	}
	client := ssm.NewFromConfig(sdkConfig(t, sim, limitedKey))
	_, err := client.GetParameters(ctxT(t), &ssm.GetParametersInput{Names: []string{"/app/public/cmk"}, WithDecryption: aws.Bool(true)})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "kms:Decrypt") || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v, want AccessDeniedException naming kms:Decrypt and not the value", err)
	}
	// Without decryption no key is used, so the call is allowed.
	if _, err := client.GetParameters(ctxT(t), &ssm.GetParametersInput{Names: []string{"/app/public/cmk"}}); err != nil {
		t.Fatal(err)
	}
}

func TestGetParameter(t *testing.T) {
	sim := startSecretsSim(t)
	client := ssm.NewFromConfig(sdkConfig(t, sim, readerKey))
	out, err := client.GetParameter(ctxT(t), &ssm.GetParameterInput{Name: aws.String("/app/db/cmk"), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(out.Parameter.Value); v != "s3cr3t-cmk" || out.Parameter.Version != 1 {
		t.Errorf("value %q version %d, want s3cr3t-cmk version 1", v, out.Parameter.Version)
	}
	_, err = client.GetParameter(ctxT(t), &ssm.GetParameterInput{Name: aws.String("/app/nope")})
	var nf *ssmtypes.ParameterNotFound
	if !asError(err, &nf) {
		t.Fatalf("err = %v, want ParameterNotFound", err)
	}
	// Overwriting raises the version.
	if err := sim.PutParameter(Parameter{Account: "111122223333", Region: region, Name: "/app/db/cmk", Value: "plain now"}); err != nil {
		t.Fatal(err)
	}
	out, err = client.GetParameter(ctxT(t), &ssm.GetParameterInput{Name: aws.String("/app/db/cmk")})
	if err != nil || aws.ToString(out.Parameter.Value) != "plain now" || out.Parameter.Version != 2 {
		t.Fatalf("after overwrite: %+v, %v", out, err)
	}
}

func TestParametersAreRegional(t *testing.T) {
	sim := startSecretsSim(t)
	cfg := sdkConfig(t, sim, readerKey)
	cfg.Region = "us-east-1"
	out, err := ssm.NewFromConfig(cfg).GetParameters(ctxT(t), &ssm.GetParametersInput{Names: []string{"/app/public/greeting", "/app/db/password"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "hello from us-east-1" || !slices.Equal(out.InvalidParameters, []string{"/app/db/password"}) {
		t.Fatalf("us-east-1 answered %+v, invalid %v", out.Parameters, out.InvalidParameters)
	}
}

func TestSSMChecksSignature(t *testing.T) {
	sim := startSecretsSim(t)
	cfg := configWith(sim, staticCreds(readerKey, "not-the-secret"))
	_, err := ssm.NewFromConfig(cfg).GetParameters(ctxT(t), &ssm.GetParametersInput{Names: []string{"/app/public/greeting"}})
	if apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("err = %v, want InvalidSignatureException", err)
	}
	calls := sim.Calls()
	if last := calls[len(calls)-1]; last.Service != "ssm" || last.Caller != "" {
		t.Errorf("recorded %+v", last)
	}
}

func TestSecretStoreFixtureChecks(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad type", `{accounts: [{id: "111122223333"}], parameters: [{account: "111122223333", region: r, name: /a, type: Number, value: x}]}`, "want String, StringList or SecureString"},
		{"no current version", `{accounts: [{id: "111122223333"}], secrets: [{account: "111122223333", region: r, name: s, versions: [{stages: [AWSPREVIOUS], secretString: x}]}]}`, "AWSCURRENT"},
		{"stage twice", `{accounts: [{id: "111122223333"}], secrets: [{account: "111122223333", region: r, name: s, versions: [{stages: [AWSCURRENT], secretString: x}, {stages: [AWSCURRENT], secretString: y}]}]}`, "AWSCURRENT"},
		{"level without slash", `{accounts: [{id: "111122223333"}], parameters: [{account: "111122223333", region: r, name: a/b, value: x}]}`, "leading /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFixture([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
