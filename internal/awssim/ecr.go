package awssim

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ecrTokenLife is how long an ECR authorization token lasts: 12 hours, as in ECR.
const ecrTokenLife = 12 * time.Hour

// ecrTokens are the registry passwords GetAuthorizationToken issued.
type ecrTokens struct {
	mu     sync.Mutex
	issued map[string]ecrToken // by password
}

// ecrToken is who a registry password was issued to, for which region, until when.
type ecrToken struct {
	caller  caller
	region  string
	expires time.Time
}

func (t *ecrTokens) issue(c caller, region string, expires time.Time) string {
	password := "ecrsim." + strings.Repeat(rand.Text(), 4)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.issued == nil {
		t.issued = map[string]ecrToken{}
	}
	t.issued[password] = ecrToken{caller: c, region: region, expires: expires}
	return password
}

func (t *ecrTokens) lookup(password string) (ecrToken, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.issued[password]
	return tok, ok
}

// serveECR routes the ECR operations kaji uses.
func (s *Server) serveECR(w http.ResponseWriter, req *request) {
	op, ok := s.rpcOperation(w, req, "ecr")
	if !ok {
		return
	}
	switch op {
	case "GetAuthorizationToken":
		s.getAuthorizationToken(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: "the simulator serves GetAuthorizationToken of ECR"})
	}
}

type authorizationDataJSON struct {
	AuthorizationToken string  `json:"authorizationToken"`
	ExpiresAt          float64 `json:"expiresAt"`
	ProxyEndpoint      string  `json:"proxyEndpoint"`
}

// getAuthorizationToken issues a registry password for the caller in the signing region,
// as ecr:GetAuthorizationToken does: base64 of AWS:PASSWORD, valid 12 hours for the
// registries of that region (one entry per registry id asked, else the caller's own).
func (s *Server) getAuthorizationToken(w http.ResponseWriter, req *request) {
	var in struct {
		RegistryIDs []string `json:"registryIds"`
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	// ecr:GetAuthorizationToken has no resource-level permissions.
	if e := s.authorize(req, "ecr:GetAuthorizationToken", "*"); e != nil {
		s.fail(w, req, e)
		return
	}
	region := req.sig.region
	expires := s.now().Add(ecrTokenLife)
	password := s.ecr.issue(req.caller, region, expires)
	ids := in.RegistryIDs
	if len(ids) == 0 {
		ids = []string{req.caller.account}
	}
	out := make([]authorizationDataJSON, 0, len(ids))
	for _, id := range ids {
		out = append(out, authorizationDataJSON{
			AuthorizationToken: base64.StdEncoding.EncodeToString([]byte("AWS:" + password)),
			ExpiresAt:          float64(expires.UnixMilli()) / 1000,
			ProxyEndpoint:      "https://" + ECRRegistryHost(id, region),
		})
	}
	writeRPCResult(w, req, map[string]any{"authorizationData": out})
}

// ECRRegistryHost is the host of the private ECR registry of account in region.
func ECRRegistryHost(account, region string) string {
	return account + ".dkr.ecr." + region + ".amazonaws.com"
}

// parseECRRegistryHost reads ACCOUNT.dkr.ecr.REGION.amazonaws.com, without a port.
func parseECRRegistryHost(host string) (account, region string, ok bool) {
	parts := strings.Split(strings.ToLower(host), ".")
	if len(parts) != 6 || parts[1] != "dkr" || parts[2] != "ecr" || parts[4] != "amazonaws" || parts[5] != "com" ||
		len(parts[0]) != 12 || parts[3] == "" {
		return "", "", false
	}
	return parts[0], parts[3], true
}
