package cli

import (
	"github.com/spf13/cobra"
)

type applyFlags struct {
	yes bool
}

func newApplyCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Install or upgrade every release of kaji.yaml, in needs order",
		Long: `Install or upgrade every release declared in kaji.yaml, in the order their
needs give. Every chart is loaded and every values file read before the first
release is touched. A release whose needs failed is skipped; the others go on.
Running apply again converges. First, the checks of kaji validate run: their errors
stop apply before it contacts the cluster; warnings are printed and apply goes on.`,
		Example: `  kaji apply
  kaji apply --env prod --yes
  kaji apply -f deploy/kaji.yaml --kube-context staging`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := preflight(cmd.Context(), g, streams); err != nil {
				return err
			}
			p := newEventPrinter(streams.Out, "apply")
			s, err := g.open(cmd.Context(), streams, p.observe)
			if err != nil {
				return err
			}
			fmtHeader(streams.Out, "apply", s)
			sum, err := s.runner.Apply(cmd.Context(), s.resolved)
			if sum != nil {
				p.summary(sum)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
