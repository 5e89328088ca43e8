package doctor

import "encoding/json"

// Status is how a check ended.
type Status string

// The statuses of a finding.
const (
	// OK: the link works.
	OK Status = "ok"
	// Fail: the link is broken; kaji cannot apply until it is fixed.
	Fail Status = "fail"
	// Warn: the link works but something is fragile or deprecated.
	Warn Status = "warn"
	// Skipped: the check does not apply, or a link before it is broken.
	Skipped Status = "skipped"
	// Unknown: the check could not look, usually for lack of permission.
	Unknown Status = "unknown"
)

// Finding is what one check found.
type Finding struct {
	// Check is the check's name, such as role-trust.
	Check string `json:"check"`
	// Title names the link in words.
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Summary says in one line what was found.
	Summary string `json:"summary"`
	// Evidence is what the check saw, one fact a line. It never holds secrets or tokens.
	Evidence []string `json:"evidence,omitempty"`
	// Fix is what to do; nil when nothing is to be done.
	Fix *Fix `json:"fix,omitempty"`
}

// Fix is the exact fix for a finding.
type Fix struct {
	// Summary says what to change, in words.
	Summary string `json:"summary"`
	// Snippet is a document to paste: a policy (JSON) or Kubernetes objects (YAML). The
	// commands refer to it by its file name.
	Snippet *Snippet `json:"snippet,omitempty"`
	// Commands are shell commands to run, in order.
	Commands []string `json:"commands,omitempty"`
}

// Snippet is a document to save and apply.
type Snippet struct {
	// Format is json or yaml.
	Format string `json:"format"`
	// File is the file name the commands expect it in, such as trust-policy.json.
	File string `json:"file,omitempty"`
	Text string `json:"text"`
}

// Report is the findings of one run, in check order.
type Report struct {
	Project     string `json:"project,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Target describes the cluster, such as "EKS cluster prod in eu-west-1".
	Target   string    `json:"target"`
	Findings []Finding `json:"findings"`
}

// APIVersion names the schema of the JSON report (see docs/eks.md).
const APIVersion = "kaji.dev/doctor/v1alpha1"

// MarshalJSON writes the report with its apiVersion and the number of failed findings, so
// that a script need not count them.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		APIVersion string `json:"apiVersion"`
		plain
		Failed int `json:"failed"`
	}{APIVersion, plain(r), r.Failed()})
}

// Failed counts failed findings; kaji doctor exits 1 when there is any.
func (r Report) Failed() int {
	n := 0
	for _, f := range r.Findings {
		if f.Status == Fail {
			n++
		}
	}
	return n
}

// Finding returns the finding of a check by name.
func (r Report) Finding(check string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return Finding{}, false
}

// finding helpers, so that checks read as what they decide.

func ok(summary string, evidence ...string) Finding {
	return Finding{Status: OK, Summary: summary, Evidence: evidence}
}

func skipped(summary string, evidence ...string) Finding {
	return Finding{Status: Skipped, Summary: summary, Evidence: evidence}
}

func (f Finding) with(evidence ...string) Finding {
	f.Evidence = append(f.Evidence, evidence...)
	return f
}
