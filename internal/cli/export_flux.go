package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/export"
)

type exportFluxFlags struct {
	dir           string
	namespace     string
	interval      time.Duration
	gitRepository string
}

func newExportFluxCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &exportFluxFlags{dir: "flux", namespace: export.DefaultFluxNamespace, interval: export.DefaultInterval}
	cmd := &cobra.Command{
		Use:   "flux",
		Short: "Write the releases as Flux HelmReleases, for Flux to take them over in place",
		Long: `Write the releases of kaji.yaml, in one environment, as the objects Flux v2 runs them from:
a HelmRelease (helm.toolkit.fluxcd.io/v2) per release, a HelmRepository per chart
repository, an OCIRepository per release of an OCI chart (source.toolkit.fluxcd.io/v1),
a kustomization.yaml that lists them, and a README.md with the hand-over steps.

Each HelmRelease keeps the release's name and namespace (releaseName, targetNamespace,
storageNamespace), so that Flux upgrades the existing release in place instead of
installing a new one, and the release keeps its history and kaji's project label: kaji
plan and kaji status go on reading it. The chart version is the one kaji.lock pins, the
values are merged as kaji merges them, needs become dependsOn, and rollbackOnFailure,
timeout, maxHistory, crds, createNamespace and ignoreDifferences their Flux settings.

Nothing is read from the cluster or from AWS. Secret references and SOPS-encrypted
values files are not resolved: they become keys of a Secret per release (valuesFrom),
listed with what each must hold. What Flux runs differently, or cannot run, is listed
too, on the output and in README.md. The directory belongs to the export: files of an
earlier export that this one no longer writes are removed.

See docs/gitops.md for when to hand over, and how.`,
		Example: `  # Write ./flux from kaji.yaml, review it, then commit it where Flux reconciles:
  kaji export flux
  # One directory per environment, each for the Flux of its cluster:
  kaji export flux --env prod -o clusters/prod/kaji
  # Local charts come from a GitRepository that Flux already has:
  kaji export flux --git-repository platform -o flux`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := g.exportInput()
			if err != nil {
				return err
			}
			res, err := export.Flux(cmd.Context(), in, export.FluxOptions{Namespace: f.namespace, Interval: f.interval, GitRepository: f.gitRepository})
			if err != nil {
				return err
			}
			written, err := export.Write(f.dir, res)
			if err != nil {
				return err
			}
			writeExport(streams.Out, f.dir, res, written)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.dir, "output", "o", f.dir, "directory to write the export to (made if missing)")
	fl.StringVarP(&f.namespace, "namespace", "n", f.namespace, "namespace of the HelmReleases, their sources and Secrets")
	fl.DurationVar(&f.interval, "interval", f.interval, "how often Flux reconciles each release and source")
	fl.StringVar(&f.gitRepository, "git-repository", "", "name of a Flux GitRepository that holds the local charts (without it, releases of local charts are listed, not written)")
	return cmd
}

// exportInput reads kaji.yaml and kaji.lock, without a cluster, for an export.
func (g *globalFlags) exportInput() (export.Input, error) {
	doc, res, err := g.loadDocument()
	if err != nil {
		return export.Input{}, err
	}
	run, err := g.charts(doc)
	if err != nil {
		return export.Input{}, err
	}
	return export.Input{Resolved: res, Pins: run.lock, Charts: run.loader}, nil
}

// writeExport prints what an export wrote, the Secrets to provide and the notes.
func writeExport(w io.Writer, dir string, res *export.Result, written *export.Written) {
	fmt.Fprintf(w, "wrote %d files to %s\n", len(written.Files), dir)
	for _, name := range written.Removed {
		fmt.Fprintf(w, "removed %s (no longer exported)\n", name)
	}
	if len(res.Secrets) > 0 {
		fmt.Fprintf(w, "\nSecrets to create before applying (%s/README.md):\n", dir)
		for _, s := range res.Secrets {
			fmt.Fprintf(w, "  %s key %s: %s\n", s.Secret, s.Key, s.Describe())
		}
	}
	if len(res.Notes) > 0 {
		fmt.Fprintf(w, "\nNotes:\n")
		for _, n := range res.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
}
