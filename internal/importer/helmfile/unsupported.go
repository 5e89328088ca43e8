package helmfile

import "fmt"

// unsupported says, for helmfile keys of helmDefaults and of releases that kaji cannot express,
// why and what to do instead. A key that is false, empty or null asks for nothing and gets no
// note.
var unsupported = map[string]string{
	"args":                       "extra helm arguments have no equivalent in kaji",
	"diffArgs":                   "extra helm-diff arguments have no equivalent in kaji; kaji plan prints its own diff",
	"syncArgs":                   "extra helm arguments have no equivalent in kaji",
	"templateArgs":               "extra helm arguments have no equivalent in kaji",
	"verify":                     "kaji does not verify chart signatures",
	"keyring":                    "kaji does not verify chart signatures",
	"waitForJobs":                "kaji's wait has no separate setting for Jobs",
	"waitRetries":                "kaji's wait does not retry failed checks",
	"recreatePods":               "kaji does not restart pods on upgrade",
	"force":                      "kaji has no delete-and-recreate upgrade (its forceConflicts is about field ownership, not this)",
	"devel":                      "kaji picks pre-releases only through the version: write a constraint such as >=1.0.0-0",
	"skipDeps":                   "kaji has no such setting",
	"skipRefresh":                "kaji has no such setting",
	"reuseValues":                "kaji always sends the whole values of kaji.yaml, as helm --reset-values does",
	"cleanupOnFail":              "kaji has no such setting; rollbackOnFailure rolls a failed upgrade back",
	"postRenderer":               "kaji has no post-renderers: make the change in the chart or its values",
	"postRendererArgs":           "kaji has no post-renderers: make the change in the chart or its values",
	"cascade":                    "kaji has no such setting",
	"insecureSkipTLSVerify":      "kaji has no per-release TLS settings",
	"plainHttp":                  "kaji has no per-release TLS settings",
	"deleteWait":                 "kaji destroy has its own --timeout",
	"deleteTimeout":              "kaji destroy has its own --timeout",
	"suppressOutputLineRegex":    "kaji plan prints its own diff",
	"suppressDiff":               "kaji plan prints its own diff",
	"syncReleaseLabels":          "kaji labels releases with its project name itself",
	"disableValidation":          "kaji has no such setting",
	"disableOpenAPIValidation":   "kaji has no such setting",
	"disableValidationOnInstall": "kaji has no such setting",
	"skipSchemaValidation":       "kaji always checks values against the chart's schema",
	"tillerNamespace":            "a Helm 2 setting that Helm 3 and kaji ignore",
	"tillerless":                 "a Helm 2 setting that Helm 3 and kaji ignore",
	"tls":                        "a Helm 2 setting that Helm 3 and kaji ignore",
	"tlsCACert":                  "a Helm 2 setting that Helm 3 and kaji ignore",
	"tlsCert":                    "a Helm 2 setting that Helm 3 and kaji ignore",
	"tlsKey":                     "a Helm 2 setting that Helm 3 and kaji ignore",
	"labels":                     "kaji has no release labels or selectors yet",
	"condition":                  "kaji switches releases per environment with enabled: set environments.<name>.releases.<release>.enabled in kaji.yaml",
	"valuesTemplate":             "it is a template kaji cannot evaluate: write the rendered values into the release's values",
	"setTemplate":                "it is a template kaji cannot evaluate: write the rendered values into the release's values",
	"jsonPatches":                "helmfile patches the chart's output before installing it; kaji cannot: make the change in a local copy of the chart",
	"strategicMergePatches":      "helmfile patches the chart's output before installing it; kaji cannot: make the change in a local copy of the chart",
	"transformers":               "helmfile transforms the chart's output before installing it; kaji cannot: make the change in a local copy of the chart",
	"dependencies":               "helmfile adds chart dependencies before installing it; kaji cannot: add them to a local copy of the chart",
	"forceNamespace":             "helmfile rewrites the chart's namespaces before installing it; kaji cannot: make the change in a local copy of the chart",
	"kubeVersion":                "kaji renders charts against the cluster's own version",
	"apiVersions":                "kaji renders charts against the cluster's own API versions",
}

// unsupportedMessage returns the note for a helmfile key kaji cannot express.
func unsupportedMessage(where, key string) string {
	if why, ok := unsupported[key]; ok {
		return fmt.Sprintf("%s %s: %s; not imported", where, key, why)
	}
	return fmt.Sprintf("%s: unknown helmfile key %s; not imported", where, key)
}
