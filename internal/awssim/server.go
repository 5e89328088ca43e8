package awssim

import (
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server is a running simulator of the parts of AWS STS, IAM, EKS, SSM Parameter Store,
// Secrets Manager, KMS and ECR that kaji uses. It
// serves HTTPS on loopback; the real AWS SDK reaches it through endpoint overrides (see Env)
// and must trust its CA (AWS_CA_BUNDLE, or HTTPClient).
type Server struct {
	world *world
	kms   *keyring
	now   func() time.Time
	srv   *httptest.Server
	ecr   ecrTokens

	mu    sync.Mutex
	calls []Call
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the simulator's clock, used for signature times, session expiry and
// token expiry. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// Call is one API call the simulator answered. It never holds keys, signatures or tokens.
type Call struct {
	Service string // sts, iam, eks, ssm, secretsmanager, kms or ecr
	Action  string // GetCallerIdentity, AssumeRole, DescribeCluster, ...
	// Caller is the ARN of the signer; empty when the signature was not accepted.
	Caller string
	Status int
	// ErrorCode is the AWS error code, empty on success.
	ErrorCode string
	// Detail says why a call was denied, in the simulator's words (such as the policy
	// decision); it is not part of the AWS response.
	Detail string
}

// Start starts a simulator serving fixture. The fixture is copied: later changes to it do
// not reach the server (use UpdateCluster and SetClusterEndpoint). Close it when done.
func Start(fixture *Fixture, opts ...Option) (*Server, error) {
	f, err := cloneFixture(fixture)
	if err != nil {
		return nil, err
	}
	ring, err := newKeyring(f.KMSKeys)
	if err != nil {
		return nil, err
	}
	s := &Server{world: newWorld(f), kms: ring, now: time.Now}
	for _, opt := range opts {
		opt(s)
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.StartTLS()
	return s, nil
}

func cloneFixture(f *Fixture) (*Fixture, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("copy simulator fixture: %w", err)
	}
	var out Fixture
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("copy simulator fixture: %w", err)
	}
	if err := out.validate(); err != nil {
		return nil, err
	}
	return &out, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the base URL of all the services, https://127.0.0.1:PORT.
func (s *Server) URL() string { return s.srv.URL }

// HTTPClient returns a client that trusts the simulator's certificate.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// CACertPEM is the PEM certificate the simulator serves with, which is its own CA.
func (s *Server) CACertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// Env writes the simulator's CA bundle into dir and returns the environment variables that
// point the AWS SDK for Go v2 (and the aws CLI) at the simulator: AWS_ENDPOINT_URL_STS,
// _IAM, _EKS, _SSM, _SECRETS_MANAGER, _KMS and _ECR, AWS_CA_BUNDLE, AWS_EC2_METADATA_DISABLED, and AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE naming files that do not exist, so that the developer's own
// ~/.aws is never read. Credentials come separately (see CredentialsEnv).
func (s *Server) Env(dir string) (map[string]string, error) {
	bundle := filepath.Join(dir, "awssim-ca.pem")
	if err := os.WriteFile(bundle, s.CACertPEM(), 0o600); err != nil {
		return nil, fmt.Errorf("write simulator CA bundle: %w", err)
	}
	return map[string]string{
		"AWS_ENDPOINT_URL_STS":             s.URL(),
		"AWS_ENDPOINT_URL_IAM":             s.URL(),
		"AWS_ENDPOINT_URL_EKS":             s.URL(),
		"AWS_ENDPOINT_URL_SSM":             s.URL(),
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": s.URL(),
		"AWS_ENDPOINT_URL_KMS":             s.URL(),
		"AWS_ENDPOINT_URL_ECR":             s.URL(),
		"AWS_CA_BUNDLE":                    bundle,
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_CONFIG_FILE":                  filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(dir, "no-aws-credentials"),
	}, nil
}

// CredentialsEnv returns AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a fixture user's
// access key.
func (s *Server) CredentialsEnv(accessKeyID string) (map[string]string, error) {
	s.world.mu.Lock()
	defer s.world.mu.Unlock()
	o, ok := s.world.keys[accessKeyID]
	if !ok {
		return nil, fmt.Errorf("access key %s is not in the fixture", accessKeyID)
	}
	return map[string]string{"AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": o.secret}, nil
}

// SetClusterEndpoint sets the API server URL and PEM CA that DescribeCluster reports for a
// cluster, such as those of a local kube-apiserver.
func (s *Server) SetClusterEndpoint(cluster, endpoint string, caPEM []byte) error {
	return s.UpdateCluster(cluster, func(c *ClusterConfig) {
		c.Endpoint, c.CertificateAuthority = endpoint, string(caPEM)
	})
}

// UpdateCluster changes a cluster in place, under the simulator's lock: its authentication
// mode, endpoint access or access entries, say.
func (s *Server) UpdateCluster(cluster string, fn func(*ClusterConfig)) error {
	return s.world.updateCluster(cluster, fn)
}

// UpdateRole changes a role in place, under the simulator's lock: its trust policy or
// identity policies, say. arn is the role's full ARN, path included.
func (s *Server) UpdateRole(arn string, fn func(*Role)) error {
	return s.world.updateRole(arn, fn)
}

// UpdateUser changes a user in place, under the simulator's lock: its identity policies, say.
// arn is the user's full ARN, path included.
func (s *Server) UpdateUser(arn string, fn func(*User)) error {
	return s.world.updateUser(arn, fn)
}

// Calls returns the calls answered so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// request is one authenticated API request.
type request struct {
	http      *http.Request
	body      []byte
	params    url.Values // query-protocol parameters (query string and form body)
	sig       sigV4
	caller    caller
	requestID string
	sourceIP  string
	call      *Call
}

// maxBody bounds request bodies; kaji's requests are small.
const maxBody = 1 << 20

// ServeHTTP authenticates a request by its SigV4 signature and routes it by the signing
// service: sts and iam speak the query protocol, eks REST-JSON, ssm, secretsmanager, kms and ecr
// JSON 1.1.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{http: r, requestID: newRequestID(), call: &Call{}}
	defer func() { s.record(*req.call) }()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "request body unreadable or too large", http.StatusBadRequest)
		req.call.Status = http.StatusBadRequest
		return
	}
	req.body = body
	req.sourceIP, _, _ = net.SplitHostPort(r.RemoteAddr)
	sig, fail, detail := parseSigV4(r)
	req.sig = sig
	service := sig.service
	if fail == failMissing {
		service = "sts"
		if strings.HasPrefix(r.URL.Path, "/clusters") {
			service = "eks"
		}
		switch target := r.Header.Get("X-Amz-Target"); {
		case strings.HasPrefix(target, "AmazonSSM."):
			service = "ssm"
		case strings.HasPrefix(target, "secretsmanager."):
			service = "secretsmanager"
		case strings.HasPrefix(target, "TrentService."):
			service = "kms"
		case strings.HasPrefix(target, jsonRPCTargets["ecr"]+"."):
			service = "ecr"
		}
	}
	req.call.Service = service
	if service == "sts" || service == "iam" {
		if req.params, err = queryParams(r, body); err != nil {
			s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "MalformedQueryString", message: err.Error()})
			return
		}
		req.call.Action = req.params.Get("Action")
	}
	if fail == authOK {
		var secret string
		req.caller, secret, fail = s.world.lookupKey(sig.keyID, sig.token, s.now())
		if fail == authOK {
			fail, detail = sig.checkTime(s.now())
		}
		if fail == authOK && !sig.verify(r, body, secret) {
			fail = failSignature
		}
	}
	if fail != authOK {
		s.fail(w, req, authError(fail, detail))
		return
	}
	req.call.Caller = req.caller.ARN()
	switch service {
	case "sts":
		s.serveSTS(w, req)
	case "iam":
		s.serveIAM(w, req)
	case "eks":
		s.serveEKS(w, req)
	case "ssm":
		s.serveSSM(w, req)
	case "secretsmanager":
		s.serveSecretsManager(w, req)
	case "kms":
		s.serveKMS(w, req)
	case "ecr":
		s.serveECR(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "UnknownService",
			message: fmt.Sprintf("the simulator does not serve %q; it serves sts, iam, eks, ssm, secretsmanager, kms and ecr", service)})
	}
}

// fail writes e in the protocol of the request's service and records it.
func (s *Server) fail(w http.ResponseWriter, req *request, e *apiError) {
	req.call.Status, req.call.ErrorCode = e.status, e.code
	switch req.call.Service {
	case "eks":
		writeJSONError(w, req.requestID, e)
	case "ssm", "secretsmanager", "kms", "ecr":
		writeRPCError(w, req.requestID, e)
	case "iam":
		writeQueryError(w, req.http, iamNamespace, req.requestID, e)
	default:
		writeQueryError(w, req.http, stsNamespace, req.requestID, e)
	}
}

// succeed records a successful call.
func (req *request) succeed() { req.call.Status = http.StatusOK }

// queryParams merges the query string and, for form posts, the body.
func queryParams(r *http.Request, body []byte) (url.Values, error) {
	params := r.URL.Query()
	if r.Method == http.MethodPost && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("the request body is not a valid form")
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, nil
}

func newRequestID() string {
	b := []byte(rand.Text())
	return strings.ToLower(fmt.Sprintf("%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:26]))
}
