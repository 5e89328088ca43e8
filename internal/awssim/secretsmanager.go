package awssim

import (
	"net/http"
	"slices"
)

// secretsMaxIDs is how many ids BatchGetSecretValue takes.
const secretsMaxIDs = 20

// secretCreated is the CreatedDate of every simulated secret version (epoch seconds).
const secretCreated = 1704067200.0

// serveSecretsManager routes the Secrets Manager operations kaji uses.
func (s *Server) serveSecretsManager(w http.ResponseWriter, req *request) {
	op, ok := s.rpcOperation(w, req, "secretsmanager")
	if !ok {
		return
	}
	switch op {
	case "GetSecretValue":
		s.getSecretValue(w, req)
	case "BatchGetSecretValue":
		s.batchGetSecretValue(w, req)
	case "DescribeSecret":
		s.describeSecret(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: "the simulator serves GetSecretValue, BatchGetSecretValue and DescribeSecret of Secrets Manager"})
	}
}

type secretValueJSON struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  string   `json:"SecretString"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"`
}

func (s *Server) getSecretValue(w http.ResponseWriter, req *request) {
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionID    string `json:"VersionId"`
		VersionStage string `json:"VersionStage"`
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if in.SecretID == "" {
		s.fail(w, req, rpcValidation("Value null at 'secretId' failed to satisfy constraint: Member must not be null"))
		return
	}
	v, e := s.readSecret(req, in.SecretID, in.VersionID, in.VersionStage)
	if e != nil {
		s.fail(w, req, e)
		return
	}
	writeRPCResult(w, req, v)
}

func (s *Server) batchGetSecretValue(w http.ResponseWriter, req *request) {
	var in struct {
		SecretIDList []string         `json:"SecretIdList"`
		Filters      []map[string]any `json:"Filters"`
		MaxResults   int              `json:"MaxResults"`
		NextToken    string           `json:"NextToken"`
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if e := s.authorize(req, "secretsmanager:BatchGetSecretValue", "*"); e != nil {
		s.fail(w, req, e)
		return
	}
	switch {
	case len(in.Filters) > 0 || in.MaxResults != 0 || in.NextToken != "":
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidParameterException",
			message: "the simulator serves BatchGetSecretValue with SecretIdList only"})
		return
	case len(in.SecretIDList) == 0 || len(in.SecretIDList) > secretsMaxIDs:
		s.fail(w, req, rpcValidation("Value at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to 20 and greater than or equal to 1"))
		return
	}
	type errorJSON struct {
		SecretID  string `json:"SecretId"`
		ErrorCode string `json:"ErrorCode"`
		Message   string `json:"Message"`
	}
	values, errs := []secretValueJSON{}, []errorJSON{}
	for _, id := range in.SecretIDList {
		v, e := s.readSecret(req, id, "", "")
		if e != nil {
			code := e.code
			if c, ok := jsonCodes[code]; ok {
				code = c
			}
			errs = append(errs, errorJSON{SecretID: id, ErrorCode: code, Message: e.message})
			continue
		}
		values = append(values, v)
	}
	writeRPCResult(w, req, map[string]any{"SecretValues": values, "Errors": errs})
}

// readSecret authorizes secretsmanager:GetSecretValue on a secret, and kms:Decrypt on its
// key when that is customer managed, and returns the version asked for (AWSCURRENT when
// neither versionID nor stage is given).
func (s *Server) readSecret(req *request, id, versionID, stage string) (secretValueJSON, *apiError) {
	account, region := req.caller.account, req.sig.region
	sec, found := s.world.store.secret(account, region, id)
	resource := "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + id
	if found {
		resource = secretARN(region, account, sec.Name)
	}
	if e := s.authorize(req, "secretsmanager:GetSecretValue", resource); e != nil {
		return secretValueJSON{}, e
	}
	if !found {
		return secretValueJSON{}, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			message: "Secrets Manager can't find the specified secret."}
	}
	if versionID == "" && stage == "" {
		stage = stageCurrent
	}
	i := slices.IndexFunc(sec.Versions, func(v SecretVersion) bool {
		return (versionID == "" || v.ID == versionID) && (stage == "" || slices.Contains(v.Stages, stage))
	})
	if i < 0 {
		what := "staging label: " + stage
		if versionID != "" {
			what = "VersionId: " + versionID
		}
		return secretValueJSON{}, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			message: "Secrets Manager can't find the specified secret value for " + what}
	}
	if sec.KMSKeyID != "" {
		if e := s.authorize(req, "kms:Decrypt", kmsKeyARN(region, account, sec.KMSKeyID)); e != nil {
			return secretValueJSON{}, &apiError{status: http.StatusBadRequest, code: "AccessDeniedException",
				message: "Access to KMS is not allowed"}
		}
	}
	v := sec.Versions[i]
	return secretValueJSON{
		ARN: secretARN(region, account, sec.Name), Name: sec.Name, VersionID: v.ID,
		SecretString: v.SecretString, VersionStages: slices.Clone(v.Stages), CreatedDate: secretCreated,
	}, nil
}
