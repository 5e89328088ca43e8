package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/version"
)

func newVersionCommand(streams Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kaji's version and the Helm SDK it embeds",
		RunE: func(*cobra.Command, []string) error {
			v := version.Get()
			fmt.Fprintf(streams.Out, "kaji %s (helm %s, %s, %s)\n", v.Version, v.Helm, v.GoVersion, v.Platform)
			return nil
		},
	}
}
