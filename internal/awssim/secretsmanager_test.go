package awssim

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestGetSecretValue(t *testing.T) {
	sim := startSecretsSim(t)
	client := secretsmanager.NewFromConfig(sdkConfig(t, sim, readerKey))
	arn := secretARN(region, "111122223333", "app/db")
	tests := []struct {
		name               string
		in                 secretsmanager.GetSecretValueInput
		want, wantCode     string
		wantStage, wantMsg string
	}{
		{name: "by name", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")},
			want: `{"username":"app","password":"pw-current"}`, wantStage: "AWSCURRENT"},
		{name: "by ARN, previous stage", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPREVIOUS")},
			want: `{"username":"app","password":"pw-previous"}`, wantStage: "AWSPREVIOUS"},
		{name: "by ARN without its suffix", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-7])},
			want: `{"username":"app","password":"pw-current"}`, wantStage: "AWSCURRENT"},
		{name: "by version id, customer managed key", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("other/token"), VersionId: aws.String("11111111-2222-3333-4444-555555555555")},
			want: "tok-current", wantStage: "AWSCURRENT"},
		{name: "missing secret", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("app/nope")},
			wantCode: "ResourceNotFoundException", wantMsg: "can't find the specified secret"},
		{name: "missing stage", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("other/token"), VersionStage: aws.String("AWSPREVIOUS")},
			wantCode: "ResourceNotFoundException", wantMsg: "staging label: AWSPREVIOUS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetSecretValue(ctxT(t), &tt.in)
			if tt.wantCode != "" {
				if apiCode(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.SecretString) != tt.want || len(out.VersionStages) != 1 || out.VersionStages[0] != tt.wantStage {
				t.Errorf("got %q stages %v, want %q at %s", aws.ToString(out.SecretString), out.VersionStages, tt.want, tt.wantStage)
			}
			if !strings.HasPrefix(aws.ToString(out.ARN), "arn:aws:secretsmanager:eu-west-1:111122223333:secret:") {
				t.Errorf("ARN %s", aws.ToString(out.ARN))
			}
		})
	}
}

func TestGetSecretValueDenied(t *testing.T) {
	sim := startSecretsSim(t)
	client := secretsmanager.NewFromConfig(sdkConfig(t, sim, limitedKey))
	_, err := client.GetSecretValue(ctxT(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/token")})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "secretsmanager:GetSecretValue") {
		t.Fatalf("err = %v, want AccessDeniedException for secretsmanager:GetSecretValue", err)
	}
	// A key the caller may not use: Secrets Manager reports it without naming the action.
	if err := sim.PutSecret(Secret{Account: "111122223333", Region: region, Name: "app/cmk", KMSKeyID: "9999aaaa-12ab-34cd-56ef-1234567890ab",
		Versions: []SecretVersion{{Stages: []string{"AWSCURRENT"}, SecretString: "s3cr3t"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetSecretValue(ctxT(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/cmk")})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "KMS") || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v, want AccessDeniedException about KMS", err)
	}
}

func TestBatchGetSecretValue(t *testing.T) {
	sim := startSecretsSim(t)
	client := secretsmanager.NewFromConfig(sdkConfig(t, sim, readerKey))
	arn := secretARN(region, "111122223333", "other/token")
	out, err := client.BatchGetSecretValue(ctxT(t), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/db", arn, "app/nope"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range out.SecretValues {
		got[aws.ToString(v.Name)] = aws.ToString(v.SecretString)
	}
	if len(got) != 2 || got["app/db"] != `{"username":"app","password":"pw-current"}` || got["other/token"] != "tok-current" {
		t.Errorf("values %v", got)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].SecretId) != "app/nope" || aws.ToString(out.Errors[0].ErrorCode) != "ResourceNotFoundException" {
		t.Errorf("errors %+v", out.Errors)
	}

	// limited may not batch at all.
	limited := secretsmanager.NewFromConfig(sdkConfig(t, sim, limitedKey))
	_, err = limited.BatchGetSecretValue(ctxT(t), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/db"}})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "secretsmanager:BatchGetSecretValue") {
		t.Fatalf("err = %v, want AccessDeniedException for secretsmanager:BatchGetSecretValue", err)
	}

	// Per secret denials are entries of Errors.
	if err := sim.PutSecret(Secret{Account: "111122223333", Region: region, Name: "app/cmk", KMSKeyID: "9999aaaa-12ab-34cd-56ef-1234567890ab",
		Versions: []SecretVersion{{Stages: []string{"AWSCURRENT"}, SecretString: "s3cr3t"}}}); err != nil {
		t.Fatal(err)
	}
	out, err = client.BatchGetSecretValue(ctxT(t), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/cmk"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "AccessDeniedException" || len(out.SecretValues) != 0 {
		t.Errorf("values %+v errors %+v", out.SecretValues, out.Errors)
	}

	ids := make([]string, 21)
	for i := range ids {
		ids[i] = "app/db"
	}
	_, err = client.BatchGetSecretValue(ctxT(t), &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids})
	if apiCode(err) != "ValidationException" {
		t.Fatalf("21 ids: err = %v, want ValidationException", err)
	}
	_, err = client.BatchGetSecretValue(ctxT(t), &secretsmanager.BatchGetSecretValueInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"app"}}}})
	if apiCode(err) != "InvalidParameterException" {
		t.Fatalf("filters: err = %v, want InvalidParameterException", err)
	}
}
