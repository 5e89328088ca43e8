package awssim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const limitedARN = "arn:aws:iam::111122223333:user/limited"

// allowDescribe gives limited, for one test, an identity policy that allows the describe
// calls, through UpdateUser.
func allowDescribe(t *testing.T, sim *Server, actions ...string) {
	t.Helper()
	list, err := json.Marshal(actions)
	if err != nil {
		t.Fatal(err)
	}
	var doc PolicyDocument
	text := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ` + string(list) + `, "Resource": "*"}]}`
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("policy: %v", err)
	}
	if err := sim.UpdateUser(limitedARN, func(u *User) { u.Policies = append(u.Policies, Policy{Name: "describe", Document: doc}) }); err != nil {
		t.Fatal(err)
	}
}

func TestDescribeParameters(t *testing.T) {
	sim := startSecretsSim(t)
	client := ssm.NewFromConfig(sdkConfig(t, sim, limitedKey))
	in := &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{"/app/db/cmk", "/app/db/password", "/app/public/greeting", "/app/nope"}},
	}}
	if _, err := client.DescribeParameters(ctxT(t), in); apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "ssm:DescribeParameters") {
		t.Fatalf("without ssm:DescribeParameters: err = %v", err)
	}
	allowDescribe(t, sim, "ssm:DescribeParameters")

	// One result a page, so that the paginator follows NextToken.
	in.MaxResults = aws.Int32(1)
	got := map[string]ssmtypes.ParameterMetadata{}
	var order []string
	pages := ssm.NewDescribeParametersPaginator(client, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) > 1 {
			t.Errorf("a page of %d parameters, asked for 1", len(out.Parameters))
		}
		for _, p := range out.Parameters {
			got[aws.ToString(p.Name)] = p
			order = append(order, aws.ToString(p.Name))
		}
	}
	if want := []string{"/app/db/cmk", "/app/db/password", "/app/public/greeting"}; !slices.Equal(order, want) {
		t.Fatalf("parameters %q, want %q (the missing one left out)", order, want)
	}
	for name, want := range map[string]struct {
		typ ssmtypes.ParameterType
		key string
	}{
		"/app/db/cmk":          {ssmtypes.ParameterTypeSecureString, "1234abcd-12ab-34cd-56ef-1234567890ab"},
		"/app/db/password":     {ssmtypes.ParameterTypeSecureString, "alias/aws/ssm"},
		"/app/public/greeting": {ssmtypes.ParameterTypeString, ""},
	} {
		p := got[name]
		if p.Type != want.typ || aws.ToString(p.KeyId) != want.key {
			t.Errorf("%s: type %s key %q, want %s %q", name, p.Type, aws.ToString(p.KeyId), want.typ, want.key)
		}
		if aws.ToString(p.ARN) != parameterARN(region, "111122223333", name) {
			t.Errorf("%s: ARN %s", name, aws.ToString(p.ARN))
		}
	}
	// Describing tells nothing of the value, and needs no permission on the parameter itself.
	if _, err := client.GetParameters(ctxT(t), &ssm.GetParametersInput{Names: []string{"/app/db/cmk"}}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("limited may read /app/db/cmk: %v", err)
	}

	// Without a filter, every parameter of the region; other filters are refused.
	out, err := client.DescribeParameters(ctxT(t), &ssm.DescribeParametersInput{MaxResults: aws.Int32(50)})
	if err != nil || len(out.Parameters) != 4 || out.NextToken != nil {
		t.Fatalf("unfiltered: %d parameters, next %v, err %v", len(out.Parameters), out.NextToken, err)
	}
	_, err = client.DescribeParameters(ctxT(t), &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Path"), Values: []string{"/app"}}}})
	if apiCode(err) != "InvalidFilterKey" {
		t.Errorf("a Path filter: err = %v", err)
	}
}

func TestDescribeSecret(t *testing.T) {
	sim := startSecretsSim(t)
	client := secretsmanager.NewFromConfig(sdkConfig(t, sim, limitedKey))
	if _, err := client.DescribeSecret(ctxT(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}); apiCode(err) != "AccessDeniedException" ||
		!strings.Contains(err.Error(), "secretsmanager:DescribeSecret on resource: "+secretARN(region, "111122223333", "app/db")) {
		t.Fatalf("without secretsmanager:DescribeSecret: err = %v", err)
	}
	allowDescribe(t, sim, "secretsmanager:DescribeSecret")
	for _, tt := range []struct {
		id, name, key string
	}{
		{"app/db", "app/db", ""},
		{secretARN(region, "111122223333", "app/db"), "app/db", ""},
		{"other/token", "other/token", "1234abcd-12ab-34cd-56ef-1234567890ab"},
	} {
		out, err := client.DescribeSecret(ctxT(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(tt.id)})
		if err != nil {
			t.Fatalf("%s: %v", tt.id, err)
		}
		if aws.ToString(out.Name) != tt.name || aws.ToString(out.ARN) != secretARN(region, "111122223333", tt.name) || aws.ToString(out.KmsKeyId) != tt.key {
			t.Errorf("%s: name %s ARN %s key %q", tt.id, aws.ToString(out.Name), aws.ToString(out.ARN), aws.ToString(out.KmsKeyId))
		}
		if len(out.VersionIdsToStages) == 0 {
			t.Errorf("%s: no versions", tt.id)
		}
	}
	if _, err := client.DescribeSecret(ctxT(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/nope")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("missing secret: err = %v", err)
	}
}

func TestUpdateUserUnknown(t *testing.T) {
	sim := startSecretsSim(t)
	for _, arn := range []string{"arn:aws:iam::111122223333:user/nobody-else", "arn:aws:iam::111122223333:role/limited", "not an arn"} {
		if err := sim.UpdateUser(arn, func(*User) { t.Errorf("%s: changed", arn) }); err == nil {
			t.Errorf("UpdateUser(%q) did not fail", arn)
		}
	}
}
