package doctor

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"kaji.dev/kaji/internal/secrets"
)

// describeBatch is how many names one DescribeParameters filter takes.
const describeBatch = 50

// placeRefs lists what the references need as the reader, then asks SSM and Secrets Manager
// which KMS keys the parameters and secrets are encrypted with, since a customer managed key
// needs kms:Decrypt too. Neither call reads a value.
func (c secretsCheck) placeRefs(ctx context.Context, r *reader, refs []secrets.Ref) {
	needs, err := secrets.RefNeeds(refs, secrets.Scope{Account: r.account, Region: r.region})
	if err != nil {
		r.broken = append(r.broken, strings.Split(err.Error(), "\n")...)
	}
	r.needs = needs
	if r.account == "" {
		r.notes = append(r.notes, "the account is unknown: the policy names any account (*) in its ARNs")
	}
	c.describeParameters(ctx, r, refs)
	c.describeSecrets(ctx, r, refs)
}

// place is a parameter or secret in a region, and the references that name it.
type place struct {
	region, name string
	refs         []string
}

// placesOf groups the references of a backend by region and name; references without a
// region are left out (RefNeeds reports them).
func (r *reader) placesOf(refs []secrets.Ref, backend secrets.Backend) []*place {
	var out []*place
	at := map[string]*place{}
	for _, ref := range refs {
		if ref.Backend != backend {
			continue
		}
		region := ref.Region
		if parts := strings.SplitN(ref.Name, ":", 6); len(parts) == 6 && parts[0] == "arn" {
			region = parts[3]
		}
		if region == "" {
			region = r.region
		}
		if region == "" {
			continue
		}
		k := region + "\x00" + ref.Name
		p, ok := at[k]
		if !ok {
			p = &place{region: region, name: ref.Name}
			at[k] = p
			out = append(out, p)
		}
		p.refs = append(p.refs, ref.Raw)
	}
	return out
}

// describeParameters learns, with ssm:DescribeParameters, which parameters exist and the KMS
// key of each SecureString.
func (c secretsCheck) describeParameters(ctx context.Context, r *reader, refs []secrets.Ref) {
	byRegion := map[string][]*place{}
	for _, p := range r.placesOf(refs, secrets.SSM) {
		byRegion[p.region] = append(byRegion[p.region], p)
	}
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		places := byRegion[region]
		names := make([]string, len(places))
		for i, p := range places {
			names[i] = p.name
		}
		found := map[string]ssmtypes.ParameterMetadata{}
		err := r.withCaller(func(sess *Session) error {
			api := c.parameters(regional(sess.Config, region))
			for chunk := range slices.Chunk(names, describeBatch) {
				pages := ssm.NewDescribeParametersPaginator(api, &ssm.DescribeParametersInput{
					ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: chunk}},
					MaxResults:       aws.Int32(describeBatch),
				})
				for pages.HasMorePages() {
					out, err := pages.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, m := range out.Parameters {
						found[aws.ToString(m.Name)] = m
					}
				}
			}
			return nil
		})
		if err != nil {
			r.notes = append(r.notes, fmt.Sprintf("a SecureString parameter in %s under a customer managed KMS key needs kms:Decrypt on that key too; ssm:DescribeParameters, which tells the key, failed: %s",
				region, errorText(err)))
			r.keysUnknown = true
			continue
		}
		for _, p := range places {
			m, ok := found[p.name]
			if !ok {
				r.broken = append(r.broken, fmt.Sprintf("%s: there is no parameter %s in %s (ssm:DescribeParameters)", strings.Join(p.refs, ", "), p.name, region))
				continue
			}
			key := aws.ToString(m.KeyId)
			if m.Type != ssmtypes.ParameterTypeSecureString || key == "" || strings.HasSuffix(key, "alias/aws/ssm") {
				continue
			}
			r.addKey(region, key, "parameter "+p.name, p.refs)
		}
	}
}

// describeSecrets learns, with secretsmanager:DescribeSecret, each secret's ARN and its KMS
// key when that is customer managed.
func (c secretsCheck) describeSecrets(ctx context.Context, r *reader, refs []secrets.Ref) {
	var denied []string
	var firstErr error
	for _, p := range r.placesOf(refs, secrets.SecretsManager) {
		var out *secretsmanager.DescribeSecretOutput
		err := r.withCaller(func(sess *Session) error {
			var err error
			out, err = c.secrets(regional(sess.Config, p.region)).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(p.name)})
			return err
		})
		switch {
		case awsCode(err) == "ResourceNotFoundException":
			r.broken = append(r.broken, fmt.Sprintf("%s: there is no secret %s in %s (secretsmanager:DescribeSecret)", strings.Join(p.refs, ", "), p.name, p.region))
			continue
		case err != nil:
			denied = append(denied, p.name)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		resource := secrets.SecretResource(p.region, r.account, p.name)
		if arn := aws.ToString(out.ARN); arn != "" && arn != resource {
			r.probe[resource] = arn
		}
		if key := aws.ToString(out.KmsKeyId); key != "" && !strings.HasSuffix(key, "alias/aws/secretsmanager") {
			r.addKey(p.region, key, "secret "+p.name, p.refs)
		}
	}
	if len(denied) > 0 {
		r.keysUnknown = true
		r.notes = append(r.notes, fmt.Sprintf("a secret under a customer managed KMS key needs kms:Decrypt on that key too; secretsmanager:DescribeSecret, which tells the key, failed for %s: %s",
			strings.Join(denied, ", "), errorText(firstErr)))
	}
}

// addKey records that refs need kms:Decrypt on a customer managed key given by id, ARN or
// alias, as what encrypts what.
func (r *reader) addKey(region, keyID, what string, refs []string) {
	arn, ok := secrets.KeyARN(region, r.account, keyID)
	if !ok {
		r.unplaced = append(r.unplaced, fmt.Sprintf("%s is encrypted with the KMS key %s: allow kms:Decrypt on the key the alias points to (aws kms describe-key --key-id %s --query KeyMetadata.Arn)",
			what, keyID, keyID))
		return
	}
	r.notes = append(r.notes, fmt.Sprintf("%s is encrypted with the customer managed KMS key %s", what, arn))
	r.needs = secrets.MergeNeeds(r.needs, []secrets.Need{secrets.DecryptNeed(arn, refs...)})
}
