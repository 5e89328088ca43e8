package awssim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestVerifyMatchesSDKSigner checks the simulator's independent SigV4 implementation
// against the SDK's signer, on awkward requests, and that any change to a signed part
// breaks the signature.
func TestVerifyMatchesSDKSigner(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	signedAt := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	type build func() *http.Request
	cases := map[string]build{
		"form post": func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "https://sts.example/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return r
		},
		"ARN path segment": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "https://eks.example/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fplatform%2Fkaji-deployer", nil)
		},
		"odd query": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "https://eks.example/clusters?maxResults=10&b=2&a=%20x%2A~&a=1&empty=", nil)
		},
		"spaced header": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://eks.example/clusters", nil)
			r.Header.Set("X-Amz-Meta-Note", "  two   spaces  ")
			return r
		},
	}
	for name, mk := range cases {
		for _, presign := range []bool{false, true} {
			t.Run(name+map[bool]string{false: " header", true: " presigned"}[presign], func(t *testing.T) {
				sign := func(r *http.Request) *http.Request {
					body := readBody(t, r)
					signer := v4.NewSigner()
					if presign {
						q := r.URL.Query()
						q.Set("X-Amz-Expires", "60")
						r.URL.RawQuery = q.Encode()
						u, hdr, err := signer.PresignHTTP(t.Context(), creds, r, hexSHA256(body), "eks", "eu-west-1", signedAt)
						if err != nil {
							t.Fatal(err)
						}
						out := httptest.NewRequest(r.Method, u, bytes.NewReader(body))
						for k, v := range hdr {
							out.Header[k] = v
						}
						return out
					}
					if err := signer.SignHTTP(t.Context(), creds, r, hexSHA256(body), "eks", "eu-west-1", signedAt); err != nil {
						t.Fatal(err)
					}
					r.Body = readCloser(body)
					return r
				}
				check := func(r *http.Request) bool {
					body := readBody(t, r)
					sig, fail, detail := parseSigV4(r)
					if fail != authOK {
						t.Fatalf("parse: %v %s", fail, detail)
					}
					return sig.verify(r, body, creds.SecretAccessKey)
				}
				if !check(sign(mk())) {
					t.Fatal("the simulator rejects a signature the SDK made")
				}
				tamper := map[string]func(*http.Request){
					"method": func(r *http.Request) { r.Method = http.MethodPut },
					"path":   func(r *http.Request) { r.URL.Path += "x"; r.URL.RawPath = "" },
					"query":  func(r *http.Request) { r.URL.RawQuery += "&extra=1" },
					"host":   func(r *http.Request) { r.Host = "other.example" },
				}
				if mk().Method == http.MethodPost {
					tamper["body"] = func(r *http.Request) { r.Body = readCloser([]byte("Action=AssumeRole")) }
				}
				for what, fn := range tamper {
					r := sign(mk())
					fn(r)
					if check(r) {
						t.Errorf("a request with a changed %s still verifies", what)
					}
				}
			})
		}
	}
}
