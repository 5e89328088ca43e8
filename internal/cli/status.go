package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/plan/view"
)

type statusFlags struct {
	output        string
	lockNamespace string
	selection     selectFlags
}

func newStatusCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status [RELEASE...]",
		Short: "Show each release of kaji.yaml: versions, revision and state",
		Long: `Show one row per release of kaji.yaml, plus the orphans of its project: the
chart, the version kaji.yaml asks for, the version deployed (the one that runs, even
when a later revision failed or is pending), the latest revision and when it was
made, and the state as kaji plan computes it (install, upgrade, in-sync, drifted,
pending, failed, unmanaged or orphan). Status skips plan's server-side dry runs, so
it is cheap: a few requests to the API server whatever the number of releases. Like
plan, it reads the references to secrets in values and decrypts SOPS files (in
memory, to compare values), so it needs the same AWS and KMS permissions.

Release names, and label selectors (-l) over the labels of kaji.yaml, limit the rows
to those releases and the releases they need (--skip-needs leaves these out); orphans
are then not looked for.`,
		Example: `  kaji status
  kaji status --env prod -o json
  kaji status -l team=payments`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" && f.output != "markdown" {
				return &UsageError{Err: fmt.Errorf("unknown output format %q: use text, json or markdown", f.output)}
			}
			sel, err := f.selection.selection(args)
			if err != nil {
				return err
			}
			run, err := g.plan(cmd.Context(), streams, f.lockNamespace, sel, plan.Options{SkipDiff: true}, nil)
			if err != nil {
				return err
			}
			switch f.output {
			case "json":
				err = view.StatusJSON(streams.Out, run.plan)
			case "markdown":
				err = view.StatusMarkdown(streams.Out, run.plan, view.MarkdownOptions{Context: run.conn.Context(), Redact: streams.Secrets.Redact})
			default:
				run.header(streams.Out, "status")
				err = view.StatusText(streams.Out, run.plan, streams.color())
			}
			if err != nil {
				return err
			}
			return run.plan.Err()
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text, json or markdown")
	cmd.Flags().StringVar(&f.lockNamespace, "lock-namespace", lock.DefaultNamespace, "namespace of the project lock (a Lease), whose holder status shows")
	f.selection.add(cmd.Flags())
	return cmd
}
