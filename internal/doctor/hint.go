package doctor

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/aws/smithy-go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"kaji.dev/kaji/internal/eks"
)

// HintText is the line that ends errors doctor can explain.
const HintText = "run `kaji doctor` to find the broken link"

// Hint returns HintText when one of errs is a failure kaji doctor can explain: the API server
// rejecting or forbidding kaji (401 Unauthorized, "provide credentials", 403 forbidden), AWS
// refusing a role or credentials (AccessDenied, expired or invalid tokens), an endpoint that
// cannot be reached (i/o timeout, connection refused, no such host), or a kubeconfig exec
// plugin or kubeconfig that cannot be used. Otherwise it returns "". Errors are matched by type where the type
// survives wrapping, else by message, since Helm flattens some errors into text.
func Hint(errs ...error) string {
	for _, err := range errs {
		if err != nil && explainable(err) {
			return HintText
		}
	}
	return ""
}

func explainable(err error) bool {
	var ee *eks.Error
	if errors.As(err, &ee) {
		return true
	}
	if apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
			"UnrecognizedClientException", "SignatureDoesNotMatch", "ResourceNotFoundException":
			return true
		}
	}
	// A request or a dial that timed out: the endpoint is out of reach, or does not answer.
	// A bare context deadline also says Timeout, but it is kaji's own --timeout running out
	// (a --wait for objects that never became ready), which doctor does not explain.
	var ue *url.Error
	var oe *net.OpError
	if (errors.As(err, &ue) && ue.Timeout()) || (errors.As(err, &oe) && oe.Timeout()) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, p := range hintPatterns {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// hintPatterns are lowercase fragments of the messages of failures doctor explains.
var hintPatterns = []string{
	"unauthorized",
	"provide credentials",
	"forbidden",
	"accessdenied",
	"access denied",
	"i/o timeout",
	"tls handshake timeout",
	"connection refused",
	"no such host",
	"network is unreachable",
	"exec plugin",
	"kubeconfig",
	"getting credentials",
	"expiredtoken",
	"invalidclienttokenid",
	"no valid credential sources",
	"failed to refresh cached credentials",
	"get identity: get credentials",
}
