package secrets

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// Options configures a Resolver.
type Options struct {
	// OnSecret, when set, is called with every value a reference resolves to and the
	// reference's label (Ref.Label, the reference as written), once per reference and
	// Resolve call, before Resolve returns, so that a redaction registry can be fed.
	// Empty values are not reported: there is nothing to hide in them.
	OnSecret func(value, label string)
}

// Resolver replaces references in values with what they name, read from SSM Parameter
// Store and Secrets Manager with the AWS SDK. It reads each parameter or secret once and
// keeps it in memory for its own lifetime (one run); it never writes them anywhere. It is
// safe for concurrent use.
type Resolver struct {
	cfg  aws.Config
	opts Options

	mu   sync.Mutex
	docs map[docKey]string
	// versions are the version of each document read, as AWS names it: a parameter's
	// version number, a secret's VersionId.
	versions map[docKey]string
	ssm      map[string]*ssm.Client
	secrets  map[string]*secretsmanager.Client
}

// docKey is one thing read from AWS: a parameter or a secret version in a region.
type docKey struct {
	backend   Backend
	region    string
	name      string
	stage     string
	versionID string
}

// NewResolver returns a Resolver that signs with cfg's credentials and reads from cfg's
// region unless a reference names another (?region=R). cfg's endpoint settings apply.
func NewResolver(cfg aws.Config, opts Options) *Resolver {
	return &Resolver{
		cfg: cfg, opts: opts,
		docs:     map[docKey]string{},
		versions: map[docKey]string{},
		ssm:      map[string]*ssm.Client{},
		secrets:  map[string]*secretsmanager.Client{},
	}
}

// ResolveError is a reference that could not be resolved. It never holds the value.
type ResolveError struct {
	// Path is where the reference is in the values (a.b[2].c).
	Path string
	// Ref is the reference as written.
	Ref    string
	Region string
	// Code is the AWS error code (ParameterNotFound, ResourceNotFoundException,
	// AccessDeniedException, ...) or, for problems found after reading, kaji's own
	// (MalformedReference, KeyNotFound, NotAString).
	Code string
	// Message is AWS's message or kaji's explanation.
	Message string
	// Actions are the IAM actions kaji needs to read the reference.
	Actions []string
	// Hint says what to do next.
	Hint string
}

func (e *ResolveError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Ref)
	if e.Region != "" {
		b.WriteString(" (" + e.Region + ")")
	}
	b.WriteString(": " + e.Code)
	if e.Message != "" {
		b.WriteString(": " + strings.TrimSuffix(e.Message, "."))
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	if len(e.Actions) > 0 {
		b.WriteString("; kaji reads it with " + strings.Join(e.Actions, " and "))
	}
	return b.String()
}

// Resolve returns a deep copy of values with every reference replaced by the value it
// names. It reads every parameter and secret not read before in as few requests as AWS
// allows, and returns every reference that fails, each as a *ResolveError (joined with
// errors.Join), not only the first; values is never changed.
func (r *Resolver) Resolve(ctx context.Context, values map[string]any) (map[string]any, error) {
	found := Scan(values)
	var errs []error
	var want []Found
	for _, f := range found {
		if f.Err != nil {
			errs = append(errs, &ResolveError{Path: f.Path, Ref: f.Ref.Raw, Code: "MalformedReference", Message: f.Err.Error()})
			continue
		}
		want = append(want, f)
	}
	fetchErrs, err := r.fetch(ctx, want)
	if err != nil {
		return nil, err
	}
	resolved := map[string]string{}
	for _, f := range want {
		key := r.key(f.Ref)
		if e, ok := fetchErrs[key]; ok {
			e := *e
			e.Path, e.Ref = f.Path, f.Ref.Raw
			errs = append(errs, &e)
			continue
		}
		r.mu.Lock()
		doc := r.docs[key]
		r.mu.Unlock()
		v, code, msg := pickKey(doc, f.Ref.Key)
		if code != "" {
			errs = append(errs, &ResolveError{Path: f.Path, Ref: f.Ref.Raw, Region: key.region, Code: code, Message: msg,
				Hint: "fix the #/key of the reference or the " + noun(f.Ref.Backend) + "'s content"})
			continue
		}
		resolved[f.Ref.Raw] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if r.opts.OnSecret != nil {
		for _, label := range slices.Sorted(maps.Keys(resolved)) {
			if v := resolved[label]; v != "" {
				r.opts.OnSecret(v, label)
			}
		}
	}
	out, _ := replaceRefs(values, resolved).(map[string]any)
	return out, nil
}

// key is where a reference's document is kept.
func (r *Resolver) key(ref Ref) docKey {
	region := ref.Region
	if region == "" {
		region = r.cfg.Region
	}
	k := docKey{backend: ref.Backend, region: region, name: ref.Name, versionID: ref.VersionID, stage: ref.VersionStage}
	if k.backend == SecretsManager && k.stage == "" && k.versionID == "" {
		k.stage = "AWSCURRENT"
	}
	return k
}

// fetch reads every document of refs not read before. It returns the failures by
// document; the error is for the run as a whole (a cancelled context).
func (r *Resolver) fetch(ctx context.Context, refs []Found) (map[docKey]*ResolveError, error) {
	failed := map[docKey]*ResolveError{}
	var ssmKeys, smKeys []docKey
	seen := map[docKey]bool{}
	r.mu.Lock()
	for _, f := range refs {
		k := r.key(f.Ref)
		if _, ok := r.docs[k]; ok || seen[k] {
			continue
		}
		seen[k] = true
		switch {
		case k.region == "":
			failed[k] = &ResolveError{Code: "NoRegion", Message: "no AWS region is set for this reference",
				Hint: "add ?region=R to the reference or set the region of kaji's AWS configuration (AWS_REGION)"}
		case k.backend == SSM:
			ssmKeys = append(ssmKeys, k)
		default:
			smKeys = append(smKeys, k)
		}
	}
	r.mu.Unlock()
	for _, region := range regions(ssmKeys) {
		if err := r.fetchSSM(ctx, region, namesIn(ssmKeys, region), failed); err != nil {
			return nil, err
		}
	}
	for _, region := range regions(smKeys) {
		if err := r.fetchSecrets(ctx, region, keysIn(smKeys, region), failed); err != nil {
			return nil, err
		}
	}
	return failed, nil
}

// store keeps a document read from AWS.
func (r *Resolver) store(k docKey, doc, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.docs[k] = doc
	if version != "" {
		r.versions[k] = version
	}
}

// Version returns the version of what the reference raw resolved to, as AWS names it (an SSM
// parameter's version number, a secret's VersionId): it tells that a secret changed without
// telling what it holds. ok is false when raw was not resolved, or AWS did not say.
func (r *Resolver) Version(raw string) (version string, ok bool) {
	ref, isRef, err := Parse(raw)
	if !isRef || err != nil {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	version, ok = r.versions[r.key(ref)]
	return version, ok
}

func (r *Resolver) ssmClient(region string) *ssm.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.ssm[region]
	if !ok {
		c = ssm.NewFromConfig(r.cfg, func(o *ssm.Options) { o.Region = region })
		r.ssm[region] = c
	}
	return c
}

func (r *Resolver) secretsClient(region string) *secretsmanager.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.secrets[region]
	if !ok {
		c = secretsmanager.NewFromConfig(r.cfg, func(o *secretsmanager.Options) { o.Region = region })
		r.secrets[region] = c
	}
	return c
}

func regions(keys []docKey) []string {
	set := map[string]bool{}
	for _, k := range keys {
		set[k.region] = true
	}
	return slices.Sorted(maps.Keys(set))
}

func keysIn(keys []docKey, region string) []docKey {
	var out []docKey
	for _, k := range keys {
		if k.region == region {
			out = append(out, k)
		}
	}
	return out
}

func namesIn(keys []docKey, region string) []string {
	var out []string
	for _, k := range keysIn(keys, region) {
		out = append(out, k.name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// awsError splits an SDK error into AWS's code and message. A request that never got an
// AWS answer (a network error) gets the code RequestFailed.
func awsError(err error) (string, string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "RequestFailed", err.Error()
}

// isAccessDenied says whether code is one of the names AWS gives a denied request.
func isAccessDenied(code string) bool {
	return code == "AccessDeniedException" || code == "AccessDenied"
}

// mentionsKMS says whether an AWS error is about the KMS key rather than the parameter
// or secret itself.
func mentionsKMS(code, msg string) bool {
	if strings.HasPrefix(code, "KMS") || code == "DecryptionFailure" || code == "InvalidKeyId" {
		return true
	}
	return strings.Contains(msg, "kms:") || strings.Contains(msg, "KMS")
}

func noun(b Backend) string {
	if b == SSM {
		return "parameter"
	}
	return "secret"
}

// replaceRefs returns a deep copy of v with every string that is a key of resolved replaced.
func replaceRefs(v any, resolved map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = replaceRefs(e, resolved)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceRefs(e, resolved)
		}
		return out
	case string:
		if s, ok := resolved[v]; ok {
			return s
		}
		return v
	}
	return v
}
