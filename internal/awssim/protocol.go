package awssim

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// Namespaces of the query-protocol services.
const (
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// apiError is an AWS error response, written in the protocol of the service that fails.
type apiError struct {
	status  int
	code    string
	message string
	// fields are extra members of a JSON error body (such as clusterName).
	fields map[string]string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// jsonCodes are the names JSON-protocol services give the common authentication errors.
var jsonCodes = map[string]string{
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"ExpiredToken":               "ExpiredTokenException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"AccessDenied":               "AccessDeniedException",
}

// authError turns a signature failure into the error AWS returns for it.
func authError(f authFailure, detail string) *apiError {
	switch f {
	case failMissing:
		return &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token"}
	case failIncomplete:
		return &apiError{status: http.StatusBadRequest, code: "IncompleteSignature", message: detail}
	case failInvalidToken:
		return &apiError{status: http.StatusForbidden, code: "InvalidClientTokenId", message: "The security token included in the request is invalid."}
	case failExpiredToken:
		return &apiError{status: http.StatusForbidden, code: "ExpiredToken", message: "The security token included in the request is expired"}
	case failSignatureExpired:
		return &apiError{status: http.StatusForbidden, code: "SignatureDoesNotMatch", message: detail}
	}
	return &apiError{status: http.StatusForbidden, code: "SignatureDoesNotMatch",
		message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

// queryErrorBody is the XML error document of STS and IAM.
type queryErrorBody struct {
	XMLName xml.Name `xml:"ErrorResponse" json:"-"`
	Xmlns   string   `xml:"xmlns,attr" json:"-"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error" json:"Error"`
	RequestID string `xml:"RequestId" json:"RequestId"`
}

// writeQueryError writes an STS or IAM error, as XML or, when asked for, JSON.
func writeQueryError(w http.ResponseWriter, r *http.Request, namespace, requestID string, e *apiError) {
	var body queryErrorBody
	body.Xmlns = namespace
	body.Error.Type = "Sender"
	if e.status >= 500 {
		body.Error.Type = "Receiver"
	}
	body.Error.Code, body.Error.Message, body.RequestID = e.code, e.message, requestID
	if wantsJSON(r) {
		writeJSON(w, requestID, e.status, map[string]any{"Error": body.Error, "RequestId": requestID})
		return
	}
	writeXML(w, requestID, e.status, body)
}

// queryResponse wraps a result as <OpResponse><OpResult>...</OpResult><ResponseMetadata>.
func writeQueryResult(w http.ResponseWriter, r *http.Request, namespace, op, requestID string, result any) {
	if wantsJSON(r) {
		writeJSON(w, requestID, http.StatusOK, map[string]any{op + "Response": map[string]any{
			op + "Result":      result,
			"ResponseMetadata": map[string]string{"RequestId": requestID},
		}})
		return
	}
	type metadata struct {
		RequestID string `xml:"RequestId"`
	}
	type envelope struct {
		XMLName  xml.Name
		Xmlns    string `xml:"xmlns,attr"`
		Result   any
		Metadata metadata `xml:"ResponseMetadata"`
	}
	writeXML(w, requestID, http.StatusOK, envelope{
		XMLName:  xml.Name{Local: op + "Response"},
		Xmlns:    namespace,
		Result:   wrapped{name: op + "Result", v: result},
		Metadata: metadata{RequestID: requestID},
	})
}

// wrapped marshals v as an element named name.
type wrapped struct {
	name string
	v    any
}

func (w wrapped) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(w.v, xml.StartElement{Name: xml.Name{Local: w.name}})
}

// writeJSONError writes a REST-JSON error as EKS does: the code in X-Amzn-Errortype, the
// message (and extra fields) in the body.
func writeJSONError(w http.ResponseWriter, requestID string, e *apiError) {
	code := e.code
	if c, ok := jsonCodes[code]; ok {
		code = c
	}
	w.Header().Set("X-Amzn-Errortype", code)
	body := map[string]any{"message": e.message}
	for k, v := range e.fields {
		body[k] = v
	}
	writeJSON(w, requestID, e.status, body)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeXML(w http.ResponseWriter, requestID string, status int, v any) {
	data, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(data)
}

func writeJSON(w http.ResponseWriter, requestID string, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
