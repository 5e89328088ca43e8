package export

import (
	"fmt"
	"strings"
)

// readmeFlux is the README.md of a Flux export.
func readmeFlux(r *Result) []byte {
	return readme(r, []string{
		"Read every file. The HelmReleases hold the values kaji merges from kaji.yaml and its values files; what holds a secret is not among them (see Secrets to provide).",
		"Create the Secrets listed below, in the namespace of the HelmReleases.",
		"Stop running `kaji apply` for this project (take it out of CI), so that two tools do not upgrade the same releases.",
		"Commit this directory to the Git repository that Flux reconciles, with a Flux Kustomization that points at it; or apply it once with `kubectl apply -k .`.",
		"Watch Flux take the releases over: `flux get helmreleases -A --watch`, or `kubectl get helmreleases -A -w`, until every one is Ready. Each release gets one new revision, with the same chart and values; `helm history` keeps the earlier ones.",
		"Run `kaji plan" + envFlag(r.Environment) + "`: every release is in sync. From now on change the HelmReleases, or kaji.yaml and export again; `kaji plan`, `kaji status` and `kaji validate` keep working, `kaji apply` is Flux's job now.",
	})
}

// readme writes the README.md of an export: what it holds, the hand-over steps, the
// Secrets to provide and the notes.
func readme(r *Result, steps []string) []byte {
	var b strings.Builder
	engine := engineName(r.Engine)
	fmt.Fprintf(&b, "# %s export of kaji project %s%s\n\n", engine, r.Project, envText(r.Environment))
	fmt.Fprintf(&b, "Written by `kaji export %s%s` from kaji.yaml. `kustomization.yaml` lists the objects; see\nkaji's docs/gitops.md for when and why to hand over.\n\n", r.Engine, envFlag(r.Environment))
	b.WriteString("## Hand-over, in order\n\n")
	for i, s := range steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	b.WriteString("\n## Secrets to provide\n\n")
	if r.Engine == "argocd" {
		b.WriteString("None can be: Argo CD reads no values from a Secret. The values that hold secrets are left out of\nthe Applications, listed in Notes.\n")
	} else if len(r.Secrets) == 0 {
		b.WriteString("None: no value is a secret reference and no values file is encrypted.\n")
	} else {
		b.WriteString("kaji resolved these when it applied; the export does not read them. Create each key with\nthe content it names (never commit it in plain text):\n\n")
		b.WriteString("| Secret | Key | Content |\n|---|---|---|\n")
		for _, s := range r.Secrets {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", s.Secret, s.Key, s.Describe())
		}
	}
	b.WriteString("\n## Notes\n\nWhat kaji.yaml says that the export writes differently, or cannot write:\n\n")
	for _, n := range r.Notes {
		if n.Release == "" {
			fmt.Fprintf(&b, "- **%s**: %s.\n", n.Topic, n.Text)
		} else {
			fmt.Fprintf(&b, "- `%s` **%s**: %s.\n", n.Release, n.Topic, n.Text)
		}
	}
	return []byte(b.String())
}

// Describe says what the key must hold, without any secret value.
func (s SecretValue) Describe() string {
	switch {
	case s.File != "":
		return fmt.Sprintf("the decrypted values file `%s` (`sops decrypt %s`)", s.File, s.File)
	case s.TargetPath != "":
		return fmt.Sprintf("the value of `%s`, set at `%s`", s.Ref, s.ValuesPath)
	default:
		return fmt.Sprintf("a values document that sets `%s` whole, with the value of `%s` in it", s.ValuesPath, s.Ref)
	}
}

// envFlag is " --env NAME" or "".
func envFlag(env string) string {
	if env == "" {
		return ""
	}
	return " --env " + env
}
