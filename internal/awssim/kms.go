package awssim

import (
	"crypto/rand"
	"fmt"
	"net/http"
)

// KMS limits: the largest plaintext Encrypt takes, and the largest data key.
const (
	kmsMaxPlaintext = 4096
	kmsMaxDataKey   = 1024
)

const symmetricDefault = "SYMMETRIC_DEFAULT"

// serveKMS routes the AWS KMS operations the simulator serves.
func (s *Server) serveKMS(w http.ResponseWriter, req *request) {
	op, ok := s.rpcOperation(w, req, "kms")
	if !ok {
		return
	}
	switch op {
	case "Encrypt":
		s.kmsEncrypt(w, req)
	case "Decrypt":
		s.kmsDecrypt(w, req)
	case "GenerateDataKey":
		s.kmsGenerateDataKey(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: "the simulator serves Encrypt, Decrypt and GenerateDataKey of KMS"})
	}
}

func kmsError(code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: message}
}

// usableKey resolves keyID for action: the key must exist in the request's region, belong to
// the caller's account (the default key policy trusts no other), be allowed by the caller's
// identity policies, and be enabled.
func (s *Server) usableKey(req *request, action, keyID string) (*kmsEntry, *apiError) {
	if keyID == "" {
		return nil, rpcValidation("Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	k, ok := s.kms.find(req.caller.account, req.sig.region, keyID)
	if !ok {
		return nil, kmsError("NotFoundException", fmt.Sprintf("Key '%s' does not exist", kmsKeyARN(req.sig.region, req.caller.account, keyID)))
	}
	return s.allowKey(req, action, k)
}

func (s *Server) allowKey(req *request, action string, k *kmsEntry) (*kmsEntry, *apiError) {
	if k.Account != req.caller.account {
		req.call.Detail = "key policy: the default key policy of " + k.ARN() + " trusts its own account only"
		return nil, &apiError{status: http.StatusBadRequest, code: "AccessDeniedException",
			message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", req.caller.ARN(), action, k.ARN(), action)}
	}
	if e := s.authorize(req, action, k.ARN()); e != nil {
		e.status = http.StatusBadRequest // KMS answers AccessDeniedException with 400
		return nil, e
	}
	if k.Disabled {
		return nil, kmsError("DisabledException", k.ARN()+" is disabled.")
	}
	return k, nil
}

func checkAlgorithm(alg string) *apiError {
	if alg != "" && alg != symmetricDefault {
		return kmsError("InvalidKeyUsageException", "the simulator's keys are symmetric: use the encryption algorithm "+symmetricDefault)
	}
	return nil
}

func (s *Server) kmsEncrypt(w http.ResponseWriter, req *request) {
	var in struct {
		KeyId               string
		Plaintext           []byte
		EncryptionContext   map[string]string
		GrantTokens         []string
		EncryptionAlgorithm string
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if len(in.Plaintext) == 0 || len(in.Plaintext) > kmsMaxPlaintext {
		s.fail(w, req, rpcValidation(fmt.Sprintf("Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", kmsMaxPlaintext)))
		return
	}
	if e := checkAlgorithm(in.EncryptionAlgorithm); e != nil {
		s.fail(w, req, e)
		return
	}
	k, e := s.usableKey(req, "kms:Encrypt", in.KeyId)
	if e != nil {
		s.fail(w, req, e)
		return
	}
	blob, err := k.seal(in.Plaintext, in.EncryptionContext)
	if err != nil {
		s.fail(w, req, &apiError{status: http.StatusInternalServerError, code: "KMSInternalException", message: err.Error()})
		return
	}
	writeRPCResult(w, req, map[string]any{"CiphertextBlob": blob, "KeyId": k.ARN(), "EncryptionAlgorithm": symmetricDefault})
}

func (s *Server) kmsDecrypt(w http.ResponseWriter, req *request) {
	var in struct {
		CiphertextBlob      []byte
		KeyId               string
		EncryptionContext   map[string]string
		GrantTokens         []string
		EncryptionAlgorithm string
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if len(in.CiphertextBlob) == 0 {
		s.fail(w, req, rpcValidation("Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1"))
		return
	}
	if e := checkAlgorithm(in.EncryptionAlgorithm); e != nil {
		s.fail(w, req, e)
		return
	}
	arn, sealed, ok := blobARN(in.CiphertextBlob)
	var k *kmsEntry
	if ok {
		k, ok = s.kms.byARN(arn)
	}
	if !ok || k.Region != req.sig.region {
		req.call.Detail = "the blob was not made by a key of this simulator in " + req.sig.region
		s.fail(w, req, kmsError("InvalidCiphertextException", ""))
		return
	}
	if in.KeyId != "" {
		named, found := s.kms.find(req.caller.account, req.sig.region, in.KeyId)
		if !found || named.ARN() != k.ARN() {
			s.fail(w, req, kmsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation."))
			return
		}
	}
	if _, e := s.allowKey(req, "kms:Decrypt", k); e != nil {
		s.fail(w, req, e)
		return
	}
	plain, ok := k.open(sealed, in.EncryptionContext)
	if !ok {
		req.call.Detail = "the blob does not open with its key and the encryption context given"
		s.fail(w, req, kmsError("InvalidCiphertextException", ""))
		return
	}
	writeRPCResult(w, req, map[string]any{"KeyId": k.ARN(), "Plaintext": plain, "EncryptionAlgorithm": symmetricDefault})
}

func (s *Server) kmsGenerateDataKey(w http.ResponseWriter, req *request) {
	var in struct {
		KeyId             string
		KeySpec           string
		NumberOfBytes     int
		EncryptionContext map[string]string
		GrantTokens       []string
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	size := in.NumberOfBytes
	switch {
	case in.KeySpec != "" && size != 0, in.KeySpec == "" && size == 0:
		s.fail(w, req, rpcValidation("Please specify either number of bytes or key spec."))
		return
	case in.KeySpec == "AES_256":
		size = 32
	case in.KeySpec == "AES_128":
		size = 16
	case in.KeySpec != "":
		s.fail(w, req, rpcValidation(fmt.Sprintf("Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)))
		return
	case size < 1 || size > kmsMaxDataKey:
		s.fail(w, req, rpcValidation(fmt.Sprintf("Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to %d and greater than or equal to 1", size, kmsMaxDataKey)))
		return
	}
	k, e := s.usableKey(req, "kms:GenerateDataKey", in.KeyId)
	if e != nil {
		s.fail(w, req, e)
		return
	}
	plain := make([]byte, size)
	if _, err := rand.Read(plain); err != nil {
		s.fail(w, req, &apiError{status: http.StatusInternalServerError, code: "KMSInternalException", message: "make a data key: " + err.Error()})
		return
	}
	blob, err := k.seal(plain, in.EncryptionContext)
	if err != nil {
		s.fail(w, req, &apiError{status: http.StatusInternalServerError, code: "KMSInternalException", message: err.Error()})
		return
	}
	writeRPCResult(w, req, map[string]any{"CiphertextBlob": blob, "Plaintext": plain, "KeyId": k.ARN()})
}
