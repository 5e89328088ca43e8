package awssim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm    = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// signatureWindow is how far a signature's time may be from the server's, and how long
	// STS honours a presigned request whatever its X-Amz-Expires says.
	signatureWindow = 15 * time.Minute
)

// authFailure is why a request's signature was not accepted.
type authFailure int

const (
	authOK authFailure = iota
	failMissing
	failIncomplete
	failInvalidToken
	failExpiredToken
	failSignature
	failSignatureExpired
)

// sigV4 is the signature of a request, from its Authorization header or its query.
type sigV4 struct {
	keyID         string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
	token         string
	signedAt      time.Time
	presigned     bool
	expires       time.Duration // presigned only
}

// scope is the credential scope string.
func (s sigV4) scope() string {
	return s.date + "/" + s.region + "/" + s.service + "/aws4_request"
}

// parseSigV4 reads the signature fields of r. It returns failMissing when r is not signed.
func parseSigV4(r *http.Request) (sigV4, authFailure, string) {
	q := r.URL.Query()
	var s sigV4
	var credential, amzDate, signedHeaders string
	switch {
	case q.Get("X-Amz-Algorithm") != "" || q.Get("X-Amz-Signature") != "":
		if q.Get("X-Amz-Algorithm") != sigAlgorithm {
			return s, failIncomplete, "X-Amz-Algorithm must be " + sigAlgorithm
		}
		s.presigned = true
		credential, amzDate, signedHeaders = q.Get("X-Amz-Credential"), q.Get("X-Amz-Date"), q.Get("X-Amz-SignedHeaders")
		s.signature, s.token = q.Get("X-Amz-Signature"), q.Get("X-Amz-Security-Token")
		exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || exp < 1 || exp > 604800 {
			return s, failIncomplete, "X-Amz-Expires must be a number of seconds from 1 to 604800"
		}
		s.expires = time.Duration(exp) * time.Second
	case r.Header.Get("Authorization") != "":
		auth := r.Header.Get("Authorization")
		alg, rest, _ := strings.Cut(auth, " ")
		if alg != sigAlgorithm {
			return s, failIncomplete, "Authorization header requires the " + sigAlgorithm + " algorithm"
		}
		for field := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				s.signature = v
			}
		}
		amzDate = r.Header.Get("X-Amz-Date")
		s.token = r.Header.Get("X-Amz-Security-Token")
	default:
		return s, failMissing, "Request is missing Authentication Token"
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || s.signature == "" || signedHeaders == "" || amzDate == "" {
		return s, failIncomplete, "Authorization must include Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders, Signature and X-Amz-Date"
	}
	s.keyID, s.date, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	s.signedHeaders = strings.Split(signedHeaders, ";")
	if !slices.Contains(s.signedHeaders, "host") {
		return s, failIncomplete, "the host header must be signed"
	}
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil || !strings.HasPrefix(amzDate, s.date) {
		return s, failIncomplete, "X-Amz-Date must be yyyymmddThhmmssZ and match the credential scope date"
	}
	s.signedAt = t
	return s, authOK, ""
}

// checkTime checks the signature's time against now. STS honours a presigned request for
// 15 minutes after X-Amz-Date whatever its X-Amz-Expires; other services use X-Amz-Expires.
func (s sigV4) checkTime(now time.Time) (authFailure, string) {
	now = now.UTC()
	earliest := now.Add(-signatureWindow)
	if s.presigned && s.service != "sts" {
		earliest = now.Add(-s.expires)
	}
	if s.signedAt.Before(earliest) {
		return failSignatureExpired, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
			s.signedAt.Format(amzDateFormat), earliest.Format(amzDateFormat), now.Format(amzDateFormat), int(now.Sub(earliest).Minutes()))
	}
	if latest := now.Add(signatureWindow); s.signedAt.After(latest) {
		return failSignatureExpired, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			s.signedAt.Format(amzDateFormat), latest.Format(amzDateFormat), now.Format(amzDateFormat))
	}
	return authOK, ""
}

// verify recomputes the signature of r, whose body is body, with secret.
func (s sigV4) verify(r *http.Request, body []byte, secret string) bool {
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	actual := hexSHA256(body)
	switch {
	case payloadHash == "":
		payloadHash = actual
	case payloadHash != unsignedPayload && payloadHash != actual:
		return false
	}
	canonical := s.canonicalRequest(r, payloadHash)
	stringToSign := sigAlgorithm + "\n" + s.signedAt.Format(amzDateFormat) + "\n" + s.scope() + "\n" + hexSHA256([]byte(canonical))
	key := hmacSHA256([]byte("AWS4"+secret), s.date)
	key = hmacSHA256(key, s.region)
	key = hmacSHA256(key, s.service)
	key = hmacSHA256(key, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	return hmac.Equal([]byte(want), []byte(s.signature))
}

// canonicalRequest builds the SigV4 canonical request of r.
func (s sigV4) canonicalRequest(r *http.Request, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// Services other than S3 encode the already-encoded path once more.
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(uriEncode(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, s.presigned))
	b.WriteByte('\n')
	for _, h := range s.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func canonicalHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if r.Header.Get("Content-Length") == "" {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	}
	values := slices.Clone(r.Header.Values(name))
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// canonicalQuery sorts and re-encodes a raw query, leaving out X-Amz-Signature of presigned
// requests.
func canonicalQuery(raw string, presigned bool) string {
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(k, true), uriEncode(v, true)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes every byte but the unreserved characters (and "/" unless
// encodeSlash), as SigV4 requires.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func hexSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
