package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/chartlock"
	"kaji.dev/kaji/internal/projectdoc"
	"kaji.dev/kaji/internal/projectdoc/view"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/values"
)

type docsFlags struct {
	envs        []string
	output      string
	check       bool
	live        bool
	kubeVersion string
}

func newDocsCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &docsFlags{}
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Write a Markdown page of what kaji.yaml deploys, per environment",
		Long: `Write one Markdown page that describes the project, for people who read rather
than run it: for each environment, a table of its releases (chart, exact version, app
version, namespace, and where the chart comes from: a local path, a repository URL or an
OCI reference), the order in which releases need each other as a Mermaid flowchart
(GitHub draws it), and for each release the values that differ from its chart's
defaults and the container images its rendered manifests run.

Environments: each --env adds one, in the order given. Without --env the page covers
every environment of kaji.yaml, by name; a kaji.yaml without environments gives one
section, the releases as declared.

Like kaji validate it runs offline: no cluster, no AWS call, no key. Charts come from
local paths or the chart cache, at the versions kaji.lock pins. Secrets never reach the
page: a reference (ref+awsssm://...) shows as written and is not read; a value of a
SOPS-encrypted file shows as (secret from FILE) and is not decrypted. The page has no
date and everything in it is sorted, so the same project gives the same page.

--check compares the page with FILE (-o) instead of writing it, and fails when FILE is
out of date, showing the first line that differs: a CI job that runs it keeps the
committed page true to kaji.yaml.

--live connects to each environment's cluster and adds each release's latest revision
in Helm's storage, its status and when it was deployed. It reads only Helm's storage
(as kaji status does); the times make the page change on every apply, so keep --live
pages out of --check.`,
		Example: `  # the page of every environment, on stdout
  kaji docs

  # write it beside kaji.yaml, and check it in CI
  kaji docs -o docs/releases.md
  kaji docs -o docs/releases.md --check

  # two environments, with what runs in their clusters
  kaji docs --env prod --env test --live`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.check && f.output == "" {
				return &UsageError{Err: errors.New("--check compares the page with a file: pass it with -o FILE")}
			}
			if f.check && f.live {
				return &UsageError{Err: errors.New("--check compares the offline page, which has no times; drop --live")}
			}
			page, err := g.docsPage(cmd.Context(), streams, f)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := view.Markdown(&buf, page); err != nil {
				return err
			}
			switch {
			case f.check:
				return checkDocs(streams, f.output, buf.Bytes(), f.command(g))
			case f.output != "":
				if err := os.WriteFile(f.output, buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("write the page: %w", err)
				}
				return nil
			}
			_, err = streams.Out.Write(buf.Bytes())
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.envs, "env", nil, "environment `NAME` of kaji.yaml to describe; repeat for more (default: every environment)")
	fl.StringVarP(&f.output, "output", "o", "", "write the page to `FILE` instead of stdout")
	fl.BoolVar(&f.check, "check", false, "do not write: fail when the page in -o FILE is out of date")
	fl.BoolVar(&f.live, "live", false, "add each release's latest revision from the cluster (connects to it)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version to render for, like helm template --kube-version (default: Helm's)")
	_ = cmd.RegisterFlagCompletionFunc("env", g.completeEnvironments)
	return cmd
}

// command is the kaji docs command line that writes the page again.
func (f *docsFlags) command(g *globalFlags) string {
	parts := []string{"kaji docs"}
	if g.file != "kaji.yaml" {
		parts = append(parts, "-f "+g.file)
	}
	for _, e := range f.envs {
		parts = append(parts, "--env "+e)
	}
	return strings.Join(append(parts, "-o "+f.output), " ")
}

// docsPage prepares each environment asked for as every run prepares one (kaji.yaml, the
// charts kaji.lock pins), with its values read offline, and describes them.
func (g *globalFlags) docsPage(ctx context.Context, streams Streams, f *docsFlags) (*projectdoc.Page, error) {
	doc, _, err := g.loadDocument()
	if err != nil {
		return nil, err
	}
	envs := f.envs
	if len(envs) == 0 {
		envs = slices.Sorted(maps.Keys(doc.File.Environments))
	}
	if len(envs) == 0 {
		envs = []string{""}
	}
	if len(envs) > 1 && g.chartLockMode() == chartlock.ModeUpdate {
		return nil, &UsageError{Err: errors.New("--lock=update pins one environment at a time: pass one --env, or run kaji lock first")}
	}
	defer func(env string) { g.env = env }(g.env)
	inputs := make([]projectdoc.Input, 0, len(envs))
	sessions := make([]*session, 0, len(envs))
	for _, env := range envs {
		g.env, g.run = env, nil // each environment has its own pins
		s, err := g.prepare()
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, projectdoc.Input{
			Resolved: s.resolved, Charts: s.charts, Locator: s.loader,
			// Offline, as kaji validate reads them: nothing decrypted, nothing resolved.
			Values: values.NewSet(values.Options{Decrypter: sopsvalues.Offline{}}),
		})
		sessions = append(sessions, s)
	}
	page, err := projectdoc.Build(ctx, inputs, projectdoc.Options{KubeVersion: f.kubeVersion})
	if err != nil {
		return nil, err
	}
	if !f.live {
		return page, nil
	}
	for i, s := range sessions {
		g.env = envs[i]
		if err := s.dial(ctx, g, streams); err != nil {
			return nil, err
		}
		if err := projectdoc.Live(ctx, &page.Environments[i], s.releases); err != nil {
			return nil, err
		}
	}
	page.Live = true
	return page, nil
}

// checkDocs compares the page kaji writes with the one in file, and says where they first
// differ.
func checkDocs(streams Streams, file string, want []byte, command string) error {
	got, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(streams.Err, "%s does not exist: run %s, and commit it\n", file, command)
		return &silentError{code: ExitError}
	}
	if err != nil {
		return fmt.Errorf("read the page to check: %w", err)
	}
	if bytes.Equal(got, want) {
		fmt.Fprintf(streams.Out, "%s is up to date\n", file)
		return nil
	}
	line, old, cur := firstDifference(string(got), string(want))
	fmt.Fprintf(streams.Err, "%s is out of date: run %s, and commit it\n", file, command)
	fmt.Fprintf(streams.Err, "first difference, at line %d:\n- %s\n+ %s\n", line, old, cur)
	return &silentError{code: ExitError}
}

// firstDifference returns the first line (from 1) where a and b differ, and that line of
// each; a missing line is "(end of file)". Long lines are cut.
func firstDifference(a, b string) (int, string, string) {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		x, y := lineAt(la, i), lineAt(lb, i)
		if x != y {
			return i + 1, cut(x), cut(y)
		}
	}
	return 0, "", ""
}

func lineAt(lines []string, i int) string {
	if i >= len(lines) {
		return "(end of file)"
	}
	return lines[i]
}

// cut shortens a line to 120 characters.
func cut(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}
