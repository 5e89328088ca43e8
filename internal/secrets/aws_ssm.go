package secrets

import (
	"context"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ssmBatch is how many names one GetParameters call takes.
const ssmBatch = 10

var ssmActions = []string{"ssm:GetParameters", "kms:Decrypt (for a SecureString under a customer managed key)"}

// fetchSSM reads parameters of one region, ssmBatch names a call, decrypting SecureStrings.
// A batch that is denied is retried name by name, so that the error lands on the
// parameters that are denied and the others still resolve.
func (r *Resolver) fetchSSM(ctx context.Context, region string, names []string, failed map[docKey]*ResolveError) error {
	client := r.ssmClient(region)
	for chunk := range slices.Chunk(names, ssmBatch) {
		err := r.getParameters(ctx, client, region, chunk, failed)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		code, msg := awsError(err)
		if isAccessDenied(code) && len(chunk) > 1 {
			for _, name := range chunk {
				if err := r.getParameters(ctx, client, region, []string{name}, failed); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					code, msg := awsError(err)
					failed[ssmKey(region, name)] = ssmError(region, code, msg)
				}
			}
			continue
		}
		for _, name := range chunk {
			failed[ssmKey(region, name)] = ssmError(region, code, msg)
		}
	}
	return nil
}

// getParameters makes one GetParameters call and stores what it returns; names it lists as
// invalid are recorded as not found.
func (r *Resolver) getParameters(ctx context.Context, client *ssm.Client, region string, names []string, failed map[docKey]*ResolveError) error {
	out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		return err
	}
	got := map[string]bool{}
	for _, p := range out.Parameters {
		name := aws.ToString(p.Name)
		if p.Value == nil || !slices.Contains(names, name) {
			continue
		}
		got[name] = true
		r.store(ssmKey(region, name), *p.Value, strconv.FormatInt(p.Version, 10))
	}
	for _, name := range names {
		if got[name] {
			continue
		}
		e := ssmError(region, "ParameterNotFound", "GetParameters lists it among InvalidParameters: there is no such parameter")
		e.Hint = "create it in " + region + ", or fix the name or the ?region= of the reference"
		failed[ssmKey(region, name)] = e
	}
	return nil
}

func ssmKey(region, name string) docKey {
	return docKey{backend: SSM, region: region, name: name}
}

func ssmError(region, code, msg string) *ResolveError {
	e := &ResolveError{Region: region, Code: code, Message: msg, Actions: ssmActions}
	switch {
	case mentionsKMS(code, msg):
		e.Actions = []string{"kms:Decrypt"}
		e.Hint = "allow kms:Decrypt on the parameter's KMS key to kaji's AWS identity (in its IAM policy or the key policy)"
	case isAccessDenied(code):
		e.Hint = "allow ssm:GetParameters on the parameter to kaji's AWS identity"
	}
	return e
}
