package cli

import "github.com/spf13/cobra"

// newExportCommand is `kaji export`, whose subcommands write kaji.yaml's releases in the form
// another tool runs them in.
func newExportCommand(g *globalFlags, streams Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the releases of kaji.yaml for a GitOps engine to run",
		Long: `Write the releases of kaji.yaml in the form a GitOps engine runs them in, for a team
that hands its releases over to continuous reconciliation in the cluster. The releases
keep their names, namespaces and history: the engine takes them over in place, and
kaji plan and kaji status keep reading what runs.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(exportCommands(g, streams)...)
	return cmd
}

// exportCommands are the subcommands of kaji export, one per engine.
func exportCommands(g *globalFlags, streams Streams) []*cobra.Command {
	return []*cobra.Command{
		newExportFluxCommand(g, streams),
		newExportArgoCDCommand(g, streams),
	}
}
