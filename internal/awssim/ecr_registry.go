package awssim

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// ECRRegistry fronts next, an OCI distribution registry, as the registry endpoint of private
// ECR does for the hosts ACCOUNT.dkr.ecr.REGION.amazonaws.com (read from the request's Host):
//
//   - every request needs HTTP basic auth with user AWS and a password GetAuthorizationToken
//     issued for the host's region; else 401 with a Basic challenge;
//   - an expired password gets 403;
//   - the repository operations are authorized against the token holder's identity policies
//     with the IAM actions ECR checks (ecr:BatchGetImage for manifests,
//     ecr:GetDownloadUrlForLayer for blobs, ecr:ListImages for the tag list, and the push
//     actions), on arn:aws:ecr:REGION:ACCOUNT:repository/NAME; a denial gets 403 with a
//     DENIED error. A repository of another account than the holder's is denied: the
//     simulator has no repository policies.
//
// Each authorized or refused repository operation is recorded as a call of service "ecr"
// whose action is the IAM action without its prefix (BatchGetImage, ...).
func (s *Server) ECRRegistry(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		account, region, ok := parseECRRegistryHost(host)
		if !ok {
			http.Error(w, "not an ECR registry host: "+host, http.StatusNotFound)
			return
		}
		user, password, ok := r.BasicAuth()
		tok, found := s.ecr.lookup(password)
		if !ok || user != "AWS" || !found || tok.region != region {
			w.Header().Set("Www-Authenticate", fmt.Sprintf(`Basic realm="https://%s/",service="ecr.amazonaws.com"`, host))
			http.Error(w, "Not Authorized", http.StatusUnauthorized)
			return
		}
		if !s.now().Before(tok.expires) {
			writeRegistryError(w, http.StatusForbidden, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
			return
		}
		action, repository := registryAction(r.Method, r.URL.Path)
		switch {
		case action == "" && r.URL.Path == "/v2/":
			next.ServeHTTP(w, r)
			return
		case action == "":
			writeRegistryError(w, http.StatusNotFound, "UNSUPPORTED", "the simulator's ECR registry does not serve "+r.Method+" "+r.URL.Path)
			return
		}
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		req := &request{http: r, caller: tok.caller, sig: sigV4{region: region}, sourceIP: ip,
			call: &Call{Service: "ecr", Action: strings.TrimPrefix(action, "ecr:"), Caller: tok.caller.ARN()}}
		defer func() { s.record(*req.call) }()
		resource := "arn:aws:ecr:" + region + ":" + account + ":repository/" + repository
		e := s.authorize(req, action, resource)
		if e == nil && tok.caller.account != account {
			req.call.Detail = "the repository is in another account, and the simulator has no repository policies"
			e = &apiError{status: http.StatusForbidden, code: "AccessDenied",
				message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", tok.caller.ARN(), action, resource, action)}
		}
		if e != nil {
			req.call.Status, req.call.ErrorCode = http.StatusForbidden, "DENIED"
			writeRegistryError(w, http.StatusForbidden, "DENIED", e.message)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		req.call.Status = rec.status
	})
}

// registryAction is the IAM action ECR checks for a registry request, and the repository
// it is on; empty for requests that are not repository operations.
func registryAction(method, path string) (action, repository string) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", ""
	}
	if name, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		return "ecr:ListImages", name
	}
	if i := strings.LastIndex(rest, "/blobs/uploads"); i > 0 {
		switch method {
		case http.MethodPost:
			return "ecr:InitiateLayerUpload", rest[:i]
		case http.MethodPatch:
			return "ecr:UploadLayerPart", rest[:i]
		case http.MethodPut:
			return "ecr:CompleteLayerUpload", rest[:i]
		}
		return "", ""
	}
	if i := strings.LastIndex(rest, "/blobs/"); i > 0 {
		switch method {
		case http.MethodGet:
			return "ecr:GetDownloadUrlForLayer", rest[:i]
		case http.MethodHead:
			return "ecr:BatchCheckLayerAvailability", rest[:i]
		}
		return "", ""
	}
	if i := strings.LastIndex(rest, "/manifests/"); i > 0 {
		switch method {
		case http.MethodGet, http.MethodHead:
			return "ecr:BatchGetImage", rest[:i]
		case http.MethodPut:
			return "ecr:PutImage", rest[:i]
		case http.MethodDelete:
			return "ecr:BatchDeleteImage", rest[:i]
		}
	}
	return "", ""
}

// writeRegistryError writes an error of the OCI distribution API.
func writeRegistryError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, newRequestID(), status, map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
