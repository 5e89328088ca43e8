package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// JSON-RPC (awsJson1_1) services: every call is a POST to / with the operation in
// X-Amz-Target as PREFIX.Operation and its input as a JSON body.
var jsonRPCTargets = map[string]string{
	"ssm":            "AmazonSSM",
	"secretsmanager": "secretsmanager",
	"kms":            "TrentService",
	"ecr":            "AmazonEC2ContainerRegistry_V20150921",
}

// rpcOperation reads the operation of an awsJson request, or fails it as AWS does.
func (s *Server) rpcOperation(w http.ResponseWriter, req *request, service string) (string, bool) {
	prefix, op, _ := strings.Cut(req.http.Header.Get("X-Amz-Target"), ".")
	req.call.Action = op
	if req.http.Method != http.MethodPost || prefix != jsonRPCTargets[service] || op == "" {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: fmt.Sprintf("want a POST with X-Amz-Target %s.OPERATION", jsonRPCTargets[service])})
		return "", false
	}
	if ct := req.http.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.1") {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "SerializationException",
			message: "Content-Type must be application/x-amz-json-1.1, not " + ct})
		return "", false
	}
	return op, true
}

// decodeInput decodes an awsJson body strictly into in, failing the request when it cannot.
func (s *Server) decodeInput(w http.ResponseWriter, req *request, in any) bool {
	body := req.body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "SerializationException",
			message: "the simulator could not read the request: " + err.Error()})
		return false
	}
	return true
}

// writeRPCError writes an awsJson error: the code in X-Amzn-Errortype and in the body's
// __type, with the message.
func writeRPCError(w http.ResponseWriter, requestID string, e *apiError) {
	code := e.code
	if c, ok := jsonCodes[code]; ok {
		code = c
	}
	w.Header().Set("X-Amzn-Errortype", code)
	body := map[string]any{"__type": code, "message": e.message}
	for k, v := range e.fields {
		body[k] = v
	}
	writeJSON(w, requestID, e.status, body)
}

// writeRPCResult writes an awsJson result.
func writeRPCResult(w http.ResponseWriter, req *request, out any) {
	req.succeed()
	data, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", req.requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// rpcValidation is the ValidationException of awsJson services.
func rpcValidation(problem string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", message: "1 validation error detected: " + problem}
}
