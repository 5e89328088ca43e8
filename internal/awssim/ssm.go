package awssim

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// ssmMaxNames is how many names GetParameters takes.
const ssmMaxNames = 10

// paramModified is the LastModifiedDate of every simulated parameter (epoch seconds).
const paramModified = 1704067200.0

// serveSSM routes the SSM Parameter Store operations kaji uses.
func (s *Server) serveSSM(w http.ResponseWriter, req *request) {
	op, ok := s.rpcOperation(w, req, "ssm")
	if !ok {
		return
	}
	switch op {
	case "GetParameter":
		s.getParameter(w, req)
	case "GetParameters":
		s.getParameters(w, req)
	case "DescribeParameters":
		s.describeParameters(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: "the simulator serves GetParameter, GetParameters and DescribeParameters of SSM"})
	}
}

type parameterJSON struct {
	Name             string  `json:"Name"`
	Type             string  `json:"Type"`
	Value            string  `json:"Value"`
	Version          int64   `json:"Version"`
	LastModifiedDate float64 `json:"LastModifiedDate"`
	ARN              string  `json:"ARN"`
	DataType         string  `json:"DataType"`
}

func (s *Server) getParameter(w http.ResponseWriter, req *request) {
	var in struct {
		Name           string
		WithDecryption bool
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if in.Name == "" {
		s.fail(w, req, rpcValidation("Value null at 'name' failed to satisfy constraint: Member must not be null"))
		return
	}
	out, invalid, e := s.readParameters(req, "ssm:GetParameter", []string{in.Name}, in.WithDecryption)
	if e != nil {
		s.fail(w, req, e)
		return
	}
	if len(invalid) > 0 {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "ParameterNotFound", message: ""})
		return
	}
	writeRPCResult(w, req, map[string]any{"Parameter": out[0]})
}

func (s *Server) getParameters(w http.ResponseWriter, req *request) {
	var in struct {
		Names          []string
		WithDecryption bool
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if len(in.Names) == 0 || len(in.Names) > ssmMaxNames {
		s.fail(w, req, rpcValidation(fmt.Sprintf("Value '%v' at 'names' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", in.Names, ssmMaxNames)))
		return
	}
	out, invalid, e := s.readParameters(req, "ssm:GetParameters", in.Names, in.WithDecryption)
	if e != nil {
		s.fail(w, req, e)
		return
	}
	writeRPCResult(w, req, map[string]any{"Parameters": out, "InvalidParameters": invalid})
}

// readParameters authorizes action on every name (AWS denies the whole call when one is
// denied), then kms:Decrypt on the customer managed keys of the SecureStrings to decrypt,
// and returns the parameters found and the names that are not.
func (s *Server) readParameters(req *request, action string, names []string, decrypt bool) ([]parameterJSON, []string, *apiError) {
	account, region := req.caller.account, req.sig.region
	for _, name := range names {
		if e := s.authorize(req, action, parameterARN(region, account, name)); e != nil {
			return nil, nil, e
		}
	}
	out := []parameterJSON{}
	invalid := []string{}
	for _, name := range names {
		p, version, ok := s.world.store.parameter(account, region, name)
		if !ok {
			invalid = append(invalid, name)
			continue
		}
		value := p.Value
		if p.Type == ParamSecureString {
			key := kmsKeyARN(region, account, p.KeyID)
			switch {
			case !decrypt:
				value = fakeCiphertext(key, p.Value)
			case p.KeyID != ssmManagedKey:
				if e := s.authorize(req, "kms:Decrypt", key); e != nil {
					e.message += " (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"
					return nil, nil, e
				}
			}
		}
		out = append(out, parameterJSON{
			Name: p.Name, Type: p.Type, Value: value, Version: version, LastModifiedDate: paramModified,
			ARN: parameterARN(region, account, p.Name), DataType: "text",
		})
	}
	return out, invalid, nil
}

// fakeCiphertext stands for a SecureString read without decryption: it names the key and
// reveals nothing of the value.
func fakeCiphertext(key, value string) string {
	sum := sha256.Sum256([]byte(key + "\x00" + value))
	return base64.StdEncoding.EncodeToString(append([]byte("awssim-kms:"+strings.TrimPrefix(key, "arn:aws:kms:")+":"), sum[:]...))
}
