package sopsvalues

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// kmsARN is the form of the ARN of a KMS key or alias; its region is where kaji calls KMS.
var kmsARN = regexp.MustCompile(`^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$`)

// decryptKMS decrypts a data key with AWS KMS, as SOPS does: in the region of the key's ARN,
// with the ambient AWS credentials (or the key's aws_profile), after assuming the key's role
// if it has one, and with its encryption context. Endpoints follow the SDK's settings
// (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, AWS_CA_BUNDLE, ...).
func decryptKMS(ctx context.Context, k masterKey) ([]byte, error) {
	blob, err := base64.StdEncoding.DecodeString(k.enc)
	if err != nil {
		return nil, errors.New("the encrypted data key (enc) is not base64")
	}
	m := kmsARN.FindStringSubmatch(k.id)
	if m == nil {
		return nil, fmt.Errorf("no valid ARN found in '%s'", k.id)
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(m[1])}
	if k.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(k.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("could not load AWS config: %w", err)
	}
	if k.role != "" {
		if cfg.Credentials, err = assumeRole(ctx, cfg, k.role); err != nil {
			return nil, err
		}
	}
	in := &kms.DecryptInput{KeyId: aws.String(k.id), CiphertextBlob: blob}
	if len(k.context) > 0 {
		in.EncryptionContext = k.context
	}
	out, err := kms.NewFromConfig(cfg).Decrypt(ctx, in)
	if err != nil {
		return nil, &awsError{what: "failed to decrypt sops data key with AWS KMS", err: err}
	}
	return out.Plaintext, nil
}

// assumeRole assumes a key's role with the ambient credentials and returns the session's.
func assumeRole(ctx context.Context, cfg aws.Config, role string) (aws.CredentialsProvider, error) {
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(role),
		RoleSessionName: aws.String(sessionName()),
	})
	if err != nil {
		return nil, &awsError{what: fmt.Sprintf("failed to assume role '%s'", role), err: err}
	}
	c := out.Credentials
	return credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)), nil
}

var notInSessionName = regexp.MustCompile(`[^\w+=,.@-]+`)

// sessionName names the role session after kaji and the host, within the 64 characters STS
// allows.
func sessionName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	name := "kaji@" + notInSessionName.ReplaceAllString(host, "")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// awsError is a failed AWS call: for an AWS error response, its code and message, without
// the SDK's request details; otherwise the SDK's error.
type awsError struct {
	what string
	err  error
}

func (e *awsError) Error() string {
	var ae smithy.APIError
	if errors.As(e.err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return fmt.Sprintf("%s: %s: %s", e.what, ae.ErrorCode(), msg)
		}
		return e.what + ": " + ae.ErrorCode()
	}
	return e.what + ": " + e.err.Error()
}

func (e *awsError) Unwrap() error { return e.err }
