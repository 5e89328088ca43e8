package cli

import (
	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/export"
)

type exportArgoCDFlags struct {
	dir, namespace, project, server string
	gitRepo, gitRevision            string
}

func newExportArgoCDCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &exportArgoCDFlags{dir: "argocd", namespace: export.DefaultArgoCDNamespace, project: "default", gitRevision: "HEAD"}
	cmd := &cobra.Command{
		Use:   "argocd",
		Short: "Write the releases as Argo CD Applications",
		Long: `Write the releases of kaji.yaml, in one environment, as Argo CD Applications
(argoproj.io/v1alpha1): one per release, with the chart's repository, name and version
(the one kaji.lock pins), the release name and the merged values (helm.valuesObject),
the cluster and namespace it goes to, CreateNamespace=true when kaji creates the
namespace, and a sync wave per depth of needs. A kustomization.yaml lists them and a
README.md says how to hand over.

Argo CD does not run Helm releases: it renders the chart with helm template and applies
the objects itself. The Helm release's history stops, chart hooks become sync hooks, and
the release's storage Secrets stay behind, orphaned. Values that hold secrets (secret
references, SOPS-encrypted files) are left out, since an Application reads no values from
a Secret; they are listed with everything else Argo CD cannot express, on the output and
in README.md. The destination server comes from the kubeconfig context of kaji.yaml's
cluster, offline; --server overrides it.

See docs/gitops.md for when to hand over, and how.`,
		Example: `  kaji export argocd
  kaji export argocd --env prod --server https://prod.example.com -o clusters/prod/kaji
  kaji export argocd --git-repo https://github.com/example/platform.git --git-revision main`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := g.exportInput()
			if err != nil {
				return err
			}
			res, err := export.ArgoCD(cmd.Context(), in, export.ArgoCDOptions{
				Namespace: f.namespace, Project: f.project, Server: f.server,
				Kubeconfig: g.kubeconfig, KubeContext: g.kubeContext,
				GitRepo: f.gitRepo, GitRevision: f.gitRevision,
			})
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
	fl.StringVarP(&f.namespace, "namespace", "n", f.namespace, "namespace of the Applications (where Argo CD runs)")
	fl.StringVar(&f.project, "project", f.project, "Argo CD project of the Applications")
	fl.StringVar(&f.server, "server", "", "API server URL of the destination cluster (default: from the kubeconfig context)")
	fl.StringVar(&f.gitRepo, "git-repo", "", "URL of the Git repository that holds the local charts (without it, releases of local charts are listed, not written)")
	fl.StringVar(&f.gitRevision, "git-revision", f.gitRevision, "revision of --git-repo to take the local charts at")
	return cmd
}
