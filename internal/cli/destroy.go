package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

type destroyFlags struct {
	yes bool
}

func newDestroyCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &destroyFlags{}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Uninstall every release of kaji.yaml, in reverse needs order",
		Long: `Uninstall every release declared in kaji.yaml, in the reverse of the order
apply uses, so that nothing is removed while something that needs it remains.
On a terminal destroy asks first; elsewhere (CI) it refuses unless --yes is given.
Releases that do not exist are reported as absent.`,
		Example: `  kaji destroy
  kaji destroy --env test --yes`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := newEventPrinter(streams.Out, "destroy")
			s, err := g.open(cmd.Context(), streams, p.observe)
			if err != nil {
				return err
			}
			if !f.yes {
				if !streams.Interactive {
					return &UsageError{Err: errors.New("destroy needs confirmation and no terminal is attached: pass --yes")}
				}
				ok, err := streams.confirm(fmt.Sprintf("Uninstall %d release(s) of project %q from context %q?",
					len(s.resolved.Releases), s.resolved.Project, s.conn.Context()))
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintln(streams.Out, "Nothing was changed.")
					return nil
				}
			}
			fmtHeader(streams.Out, "destroy", s)
			sum, err := s.runner.Destroy(cmd.Context(), s.resolved)
			if sum != nil {
				p.summary(sum)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
