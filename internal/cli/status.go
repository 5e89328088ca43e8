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
}

func newStatusCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each release of kaji.yaml: versions, revision and state",
		Long: `Show one row per release of kaji.yaml, plus the orphans of its project: the
chart, the version kaji.yaml asks for, the version deployed (the one that runs, even
when a later revision failed or is pending), the latest revision and when it was
made, and the state as kaji plan computes it (install, upgrade, in-sync, drifted,
pending, failed, unmanaged or orphan). Status skips plan's server-side dry runs, so
it is cheap: a few requests whatever the number of releases.`,
		Example: `  kaji status
  kaji status --env prod -o json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" && f.output != "markdown" {
				return &UsageError{Err: fmt.Errorf("unknown output format %q: use text, json or markdown", f.output)}
			}
			run, err := g.plan(cmd.Context(), streams, f.lockNamespace, plan.Options{SkipDiff: true})
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
	return cmd
}
