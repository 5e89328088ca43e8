package importer

// Outcome is what an import did with one release.
type Outcome string

const (
	// OutcomeAdded: the release was not in kaji.yaml and was added.
	OutcomeAdded Outcome = "added"
	// OutcomeUnchanged: kaji.yaml already says what runs.
	OutcomeUnchanged Outcome = "unchanged"
	// OutcomeDifferent: kaji.yaml says something else; it was left as it is (--overwrite
	// replaces it).
	OutcomeDifferent Outcome = "different"
	// OutcomeReplaced: kaji.yaml said something else and --overwrite replaced it.
	OutcomeReplaced Outcome = "replaced"
	// OutcomeOverridden: in an environment, the differences were written as its overrides.
	OutcomeOverridden Outcome = "overridden"
	// OutcomeOnlyHere: the release runs only in this environment: it was added disabled, and
	// enabled in the environment.
	OutcomeOnlyHere Outcome = "only-here"
	// OutcomeAbsent: a release of kaji.yaml does not run in this environment: it was disabled
	// there.
	OutcomeAbsent Outcome = "absent"
)

// Report is what an import did, for the summary and for -o json.
type Report struct {
	// File is the kaji.yaml written (or that would be).
	File string `json:"file"`
	// Created says that the import created File.
	Created bool `json:"created"`
	// Source is what was read: cluster, cdk or helmfile.
	Source Kind `json:"source"`
	// Environment is the environment imported into, or empty for the releases themselves.
	Environment string `json:"environment,omitempty"`
	// Releases are the releases found, in the order found.
	Releases []ReleaseReport `json:"releases"`
	// Skipped are releases found but not imported, with the reason.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Notes are things the user must look at that belong to no single release.
	Notes []Note `json:"notes,omitempty"`
	// Written are the files written, relative to File's directory.
	Written []string `json:"written,omitempty"`
	// HandOver are the steps that move the releases from their old tool to kaji without
	// uninstalling them (CDK).
	HandOver []Step `json:"handOver,omitempty"`
	// Blocking counts the notes, of the releases' and the import's own, that leave kaji.yaml
	// unusable until a person resolves them.
	Blocking int `json:"blocking"`
}

// ReleaseReport is what an import did with one release.
type ReleaseReport struct {
	Name      string  `json:"name"`
	Namespace string  `json:"namespace"`
	Chart     string  `json:"chart"`
	Version   string  `json:"version"`
	Outcome   Outcome `json:"outcome"`
	// Origin is where the release was found.
	Origin string `json:"origin"`
	// Source says where its chart comes from and how that was decided.
	Source string `json:"source,omitempty"`
	// Values says where its values were written: a file, inline, or none.
	Values string `json:"values,omitempty"`
	// SecretFile is the git-ignored values file that holds the values that look secret.
	SecretFile string `json:"secretFile,omitempty"`
	// Secrets are the key paths moved to SecretFile.
	Secrets []string `json:"secrets,omitempty"`
	// Differences are what kaji.yaml says against what was found, for different, replaced
	// and overridden releases: one line per field or value path, secret values masked.
	Differences []string `json:"differences,omitempty"`
	// Notes are things to look at about this release.
	Notes []Note `json:"notes,omitempty"`
}

func (r *Report) countBlocking() {
	n := countBlocking(r.Notes)
	for _, rel := range r.Releases {
		n += countBlocking(rel.Notes)
	}
	r.Blocking = n
}

// Step is one step of a hand-over from another tool.
type Step struct {
	// Title says what to do and why.
	Title string `json:"title"`
	// Items are what the step is about, one a line.
	Items []string `json:"items,omitempty"`
	// Code is code to write in the other tool's project, one line each.
	Code []string `json:"code,omitempty"`
	// Commands are commands to run, one each.
	Commands []string `json:"commands,omitempty"`
}
