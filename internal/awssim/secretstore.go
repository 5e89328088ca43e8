package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Parameter is an SSM Parameter Store parameter.
type Parameter struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Name is the parameter's name, such as /prod/db/password.
	Name string `json:"name"`
	// Type is String (default), StringList or SecureString.
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
	// KeyID is the KMS key of a SecureString: alias/aws/ssm (default), the AWS managed key
	// whose key policy lets SSM decrypt for any caller of the account, or the id or ARN of
	// a customer managed key, for which the caller's identity policies must allow
	// kms:Decrypt on the key's ARN.
	KeyID string `json:"keyId,omitempty"`
}

// Secret is a Secrets Manager secret.
type Secret struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	// KMSKeyID is the secret's KMS key: empty for the AWS managed aws/secretsmanager key,
	// or the id or ARN of a customer managed key, for which the caller's identity policies
	// must allow kms:Decrypt on the key's ARN.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// Versions are the secret's versions; exactly one carries the stage AWSCURRENT.
	Versions []SecretVersion `json:"versions"`
}

// SecretVersion is one version of a secret.
type SecretVersion struct {
	// ID defaults to one derived from the secret's name, the version's position and its
	// value: a new value is a new version.
	ID string `json:"id,omitempty"`
	// Stages are its staging labels, such as AWSCURRENT or AWSPREVIOUS.
	Stages       []string `json:"stages"`
	SecretString string   `json:"secretString"`
}

// Parameter types.
const (
	ParamString       = "String"
	ParamStringList   = "StringList"
	ParamSecureString = "SecureString"
)

const (
	ssmManagedKey = "alias/aws/ssm"
	stageCurrent  = "AWSCURRENT"
)

// store holds the parameters and secrets the simulator serves.
type store struct {
	mu       sync.Mutex
	params   map[string]*storedParam // by account/region/name
	secrets  map[string]*Secret      // by account/region/name
	paramSeq int64
}

type storedParam struct {
	Parameter
	version int64
}

func newStore(f *Fixture) *store {
	st := &store{params: map[string]*storedParam{}, secrets: map[string]*Secret{}}
	for _, p := range f.Parameters {
		st.putParameter(p)
	}
	for _, sec := range f.Secrets {
		st.putSecret(sec)
	}
	return st
}

func storeKey(account, region, name string) string { return account + "/" + region + "/" + name }

func (st *store) putParameter(p Parameter) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := storeKey(p.Account, p.Region, p.Name)
	version := int64(1)
	if old, ok := st.params[k]; ok {
		version = old.version + 1
	}
	st.params[k] = &storedParam{Parameter: p, version: version}
}

func (st *store) putSecret(sec Secret) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sec.Versions = slices.Clone(sec.Versions)
	for i := range sec.Versions {
		sec.Versions[i].Stages = slices.Clone(sec.Versions[i].Stages)
	}
	st.secrets[storeKey(sec.Account, sec.Region, sec.Name)] = &sec
}

// parameter returns a copy of a parameter and its version.
func (st *store) parameter(account, region, name string) (Parameter, int64, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.params[storeKey(account, region, name)]
	if !ok {
		return Parameter{}, 0, false
	}
	return p.Parameter, p.version, true
}

// secret finds a secret of an account and region by name, by full ARN, or by an ARN
// without its random suffix, as Secrets Manager does.
func (st *store) secret(account, region, id string) (Secret, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, sec := range st.secrets {
		if sec.Account != account || sec.Region != region {
			continue
		}
		arn := secretARN(sec.Region, sec.Account, sec.Name)
		if id == sec.Name || id == arn || id == strings.TrimSuffix(arn, arn[len(arn)-7:]) {
			return *sec, true
		}
	}
	return Secret{}, false
}

// PutParameter creates or overwrites a parameter, as ssm:PutParameter would; overwriting
// raises its version.
func (s *Server) PutParameter(p Parameter) error {
	if err := p.check(); err != nil {
		return err
	}
	s.world.store.putParameter(p.withDefaults())
	return nil
}

// PutSecret creates or replaces a secret with all its versions.
func (s *Server) PutSecret(sec Secret) error {
	if err := sec.check(); err != nil {
		return err
	}
	s.world.store.putSecret(sec.withDefaults())
	return nil
}

func (p Parameter) withDefaults() Parameter {
	if p.Type == "" {
		p.Type = ParamString
	}
	if p.Type == ParamSecureString && p.KeyID == "" {
		p.KeyID = ssmManagedKey
	}
	return p
}

func (p Parameter) check() error {
	var errs []error
	if !accountIDPattern.MatchString(p.Account) || p.Region == "" {
		errs = append(errs, fmt.Errorf("parameter %s: account (12 digits) and region are required", p.Name))
	}
	if p.Name == "" || strings.ContainsAny(p.Name, " \t\n") || (strings.Contains(p.Name, "/") && !strings.HasPrefix(p.Name, "/")) {
		errs = append(errs, fmt.Errorf("parameter %q: want a name without spaces, with a leading / when it has levels", p.Name))
	}
	switch p.Type {
	case "", ParamString, ParamStringList, ParamSecureString:
	default:
		errs = append(errs, fmt.Errorf("parameter %s: type %q: want String, StringList or SecureString", p.Name, p.Type))
	}
	if p.KeyID != "" && p.Type != ParamSecureString {
		errs = append(errs, fmt.Errorf("parameter %s: keyId is for SecureString parameters only", p.Name))
	}
	return errors.Join(errs...)
}

func (sec Secret) withDefaults() Secret {
	sec.Versions = slices.Clone(sec.Versions)
	for i := range sec.Versions {
		if sec.Versions[i].ID == "" {
			// A new value is a new version, as PutSecretValue makes one.
			sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%s/%d/%s", sec.Account, sec.Region, sec.Name, i, sec.Versions[i].SecretString))
			h := hex.EncodeToString(sum[:16])
			sec.Versions[i].ID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		}
	}
	return sec
}

func (sec Secret) check() error {
	var errs []error
	if !accountIDPattern.MatchString(sec.Account) || sec.Region == "" {
		errs = append(errs, fmt.Errorf("secret %s: account (12 digits) and region are required", sec.Name))
	}
	if sec.Name == "" || strings.HasPrefix(sec.Name, "arn:") {
		errs = append(errs, fmt.Errorf("secret %q: want a name, not empty and not an ARN", sec.Name))
	}
	stages := map[string]int{}
	for _, v := range sec.Versions {
		for _, st := range v.Stages {
			stages[st]++
		}
	}
	if stages[stageCurrent] != 1 {
		errs = append(errs, fmt.Errorf("secret %s: exactly one version must carry the stage AWSCURRENT", sec.Name))
	}
	for st, n := range stages {
		if n > 1 {
			errs = append(errs, fmt.Errorf("secret %s: the stage %s is on %d versions; a stage labels one version", sec.Name, st, n))
		}
	}
	return errors.Join(errs...)
}

// checkSecretStore checks the parameters and secrets of a fixture and fills in defaults.
func (f *Fixture) checkSecretStore() []error {
	var errs []error
	for i := range f.Parameters {
		if err := f.Parameters[i].check(); err != nil {
			errs = append(errs, fmt.Errorf("parameters[%d]: %w", i, err))
		}
		f.Parameters[i] = f.Parameters[i].withDefaults()
	}
	for i := range f.Secrets {
		if err := f.Secrets[i].check(); err != nil {
			errs = append(errs, fmt.Errorf("secrets[%d]: %w", i, err))
		}
		f.Secrets[i] = f.Secrets[i].withDefaults()
	}
	return errs
}

func parameterARN(region, account, name string) string {
	return "arn:aws:ssm:" + region + ":" + account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// secretARN ends in a dash and six characters, derived here from the secret's identity so
// that the simulator's ARNs are stable.
func secretARN(region, account, name string) string {
	sum := sha256.Sum256([]byte(account + "/" + region + "/" + name))
	return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name + "-" + hex.EncodeToString(sum[:])[:6]
}

// kmsKeyARN is the ARN of a KMS key given by id, alias or ARN.
func kmsKeyARN(region, account, key string) string {
	switch {
	case strings.HasPrefix(key, "arn:"):
		return key
	case strings.HasPrefix(key, "alias/"):
		return "arn:aws:kms:" + region + ":" + account + ":" + key
	}
	return "arn:aws:kms:" + region + ":" + account + ":key/" + key
}
