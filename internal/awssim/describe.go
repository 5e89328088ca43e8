package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The metadata operations: ssm:DescribeParameters and secretsmanager:DescribeSecret, which
// tell a parameter's or a secret's KMS key without reading its value.

// describeMaxResults and describeMaxValues are DescribeParameters' limits on the page size and
// on the values of one filter; describeDefaultResults is its page size when none is asked.
const (
	describeMaxResults     = 50
	describeMaxValues      = 50
	describeDefaultResults = 10
)

type parameterMetadataJSON struct {
	Name             string   `json:"Name"`
	ARN              string   `json:"ARN"`
	Type             string   `json:"Type"`
	KeyID            string   `json:"KeyId,omitempty"`
	Version          int64    `json:"Version"`
	LastModifiedDate float64  `json:"LastModifiedDate"`
	Tier             string   `json:"Tier"`
	DataType         string   `json:"DataType"`
	Policies         []string `json:"Policies"`
}

// describeParameters lists the parameters of the caller's account and region, by name,
// filtered by ParameterFilters with Key Name and Option Equals (the filter kaji uses), a
// page at a time. Like AWS, it needs ssm:DescribeParameters, which takes no resource of its
// own, and no permission on the parameters it lists.
func (s *Server) describeParameters(w http.ResponseWriter, req *request) {
	var in struct {
		Filters          []map[string]any
		ParameterFilters []struct {
			Key    string
			Option string
			Values []string
		}
		MaxResults int
		NextToken  string
		Shared     bool
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	account, region := req.caller.account, req.sig.region
	if e := s.authorize(req, "ssm:DescribeParameters", "arn:aws:ssm:"+region+":"+account+":*"); e != nil {
		s.fail(w, req, e)
		return
	}
	switch {
	case len(in.Filters) > 0 || in.Shared:
		s.fail(w, req, rpcValidation("the simulator serves DescribeParameters with ParameterFilters on Name only"))
		return
	case in.MaxResults < 0 || in.MaxResults > describeMaxResults:
		s.fail(w, req, rpcValidation(fmt.Sprintf("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", in.MaxResults, describeMaxResults)))
		return
	}
	var names []string
	filtered := false
	for _, f := range in.ParameterFilters {
		if f.Key != "Name" || (f.Option != "" && f.Option != "Equals") {
			s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidFilterKey",
				message: "the simulator filters DescribeParameters on Name with the option Equals only"})
			return
		}
		if len(f.Values) == 0 || len(f.Values) > describeMaxValues {
			s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidFilterValue",
				message: fmt.Sprintf("a filter takes 1 to %d values", describeMaxValues)})
			return
		}
		filtered = true
		names = append(names, f.Values...)
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 {
			s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidNextToken", message: "The specified token is not valid."})
			return
		}
		start = n
	}
	size := in.MaxResults
	if size == 0 {
		size = describeDefaultResults
	}
	var all []parameterMetadataJSON
	for _, p := range s.world.store.parameters(account, region) {
		if filtered && !slices.Contains(names, p.Name) {
			continue
		}
		m := parameterMetadataJSON{Name: p.Name, ARN: parameterARN(region, account, p.Name), Type: p.Type, Version: p.version,
			LastModifiedDate: paramModified, Tier: "Standard", DataType: "text", Policies: []string{}}
		if p.Type == ParamSecureString {
			m.KeyID = p.KeyID
		}
		all = append(all, m)
	}
	out := map[string]any{"Parameters": []parameterMetadataJSON{}}
	if start < len(all) {
		end := min(start+size, len(all))
		out["Parameters"] = all[start:end]
		if end < len(all) {
			out["NextToken"] = strconv.Itoa(end)
		}
	}
	writeRPCResult(w, req, out)
}

// describeSecret returns a secret's metadata: its ARN, its KMS key when that is customer
// managed (AWS leaves KmsKeyId out for aws/secretsmanager), and its versions' stages.
func (s *Server) describeSecret(w http.ResponseWriter, req *request) {
	var in struct {
		SecretID string `json:"SecretId"`
	}
	if !s.decodeInput(w, req, &in) {
		return
	}
	if in.SecretID == "" {
		s.fail(w, req, rpcValidation("Value null at 'secretId' failed to satisfy constraint: Member must not be null"))
		return
	}
	account, region := req.caller.account, req.sig.region
	sec, found := s.world.store.secret(account, region, in.SecretID)
	resource := "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + in.SecretID
	if found {
		resource = secretARN(region, account, sec.Name)
	}
	if e := s.authorize(req, "secretsmanager:DescribeSecret", resource); e != nil {
		s.fail(w, req, e)
		return
	}
	if !found {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException",
			message: "Secrets Manager can't find the specified secret."})
		return
	}
	stages := map[string][]string{}
	for _, v := range sec.Versions {
		stages[v.ID] = slices.Clone(v.Stages)
	}
	out := map[string]any{
		"ARN": secretARN(region, account, sec.Name), "Name": sec.Name, "VersionIdsToStages": stages,
		"CreatedDate": secretCreated, "LastChangedDate": secretCreated,
	}
	if sec.KMSKeyID != "" {
		out["KmsKeyId"] = sec.KMSKeyID
	}
	writeRPCResult(w, req, out)
}

// parameters returns copies of the parameters of an account and region, by name.
func (st *store) parameters(account, region string) []storedParam {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []storedParam
	for _, p := range st.params {
		if p.Account == account && p.Region == region {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b storedParam) int { return strings.Compare(a.Name, b.Name) })
	return out
}
