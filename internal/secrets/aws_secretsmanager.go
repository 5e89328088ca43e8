package secrets

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// secretsBatch is how many secret ids one BatchGetSecretValue call takes.
const secretsBatch = 20

var secretsActions = []string{"secretsmanager:GetSecretValue", "kms:Decrypt (for a secret under a customer managed key)"}

// fetchSecrets reads secrets of one region. Current versions go through
// BatchGetSecretValue, secretsBatch a call; other versions, and secrets a batch could not
// answer for (the call itself failed, say for want of secretsmanager:BatchGetSecretValue),
// through GetSecretValue one by one.
func (r *Resolver) fetchSecrets(ctx context.Context, region string, keys []docKey, failed map[docKey]*ResolveError) error {
	client := r.secretsClient(region)
	var current, single []docKey
	for _, k := range keys {
		if k.stage == "AWSCURRENT" && k.versionID == "" {
			current = append(current, k)
		} else {
			single = append(single, k)
		}
	}
	slices.SortFunc(current, func(a, b docKey) int { return strings.Compare(a.name, b.name) })
	for chunk := range slices.Chunk(current, secretsBatch) {
		ids := make([]string, len(chunk))
		for i, k := range chunk {
			ids[i] = k.name
		}
		out, err := client.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			single = append(single, chunk...)
			continue
		}
		for _, k := range chunk {
			if v, version, ok := batchValue(out, k.name); ok {
				r.store(k, v, version)
				continue
			}
			if code, msg, ok := batchError(out, k.name); ok {
				failed[k] = secretError(region, code, msg)
				continue
			}
			single = append(single, k)
		}
	}
	for _, k := range single {
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.name)}
		if k.versionID != "" {
			in.VersionId = aws.String(k.versionID)
		}
		if k.stage != "" {
			in.VersionStage = aws.String(k.stage)
		}
		out, err := client.GetSecretValue(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			code, msg := awsError(err)
			failed[k] = secretError(region, code, msg)
			continue
		}
		r.store(k, secretText(out.SecretString, out.SecretBinary), aws.ToString(out.VersionId))
	}
	return nil
}

// batchValue finds the value BatchGetSecretValue returned for id, a name or an ARN
// (complete, or without the random suffix), and its VersionId.
func batchValue(out *secretsmanager.BatchGetSecretValueOutput, id string) (value, version string, ok bool) {
	for _, v := range out.SecretValues {
		if secretMatches(id, aws.ToString(v.Name), aws.ToString(v.ARN)) && (v.SecretString != nil || v.SecretBinary != nil) {
			return secretText(v.SecretString, v.SecretBinary), aws.ToString(v.VersionId), true
		}
	}
	return "", "", false
}

func batchError(out *secretsmanager.BatchGetSecretValueOutput, id string) (string, string, bool) {
	for _, e := range out.Errors {
		if aws.ToString(e.SecretId) == id {
			return aws.ToString(e.ErrorCode), aws.ToString(e.Message), true
		}
	}
	return "", "", false
}

func secretMatches(id, name, arn string) bool {
	return id == name || id == arn || (strings.HasPrefix(id, "arn:") && strings.HasPrefix(arn, id+"-"))
}

// secretText is a secret's value: its SecretString, or else its SecretBinary as text.
func secretText(s *string, b []byte) string {
	if s != nil {
		return *s
	}
	return string(b)
}

func secretError(region, code, msg string) *ResolveError {
	e := &ResolveError{Region: region, Code: code, Message: msg, Actions: secretsActions}
	switch {
	case mentionsKMS(code, msg):
		e.Actions = []string{"kms:Decrypt"}
		e.Hint = "allow kms:Decrypt on the secret's KMS key to kaji's AWS identity (in its IAM policy or the key policy)"
	case isAccessDenied(code):
		e.Hint = "allow secretsmanager:GetSecretValue on the secret to kaji's AWS identity"
	case code == "ResourceNotFoundException":
		e.Hint = "create the secret (or the version stage) in " + region + ", or fix the name, ARN, ?version_stage= or ?region= of the reference"
	}
	return e
}
