package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/importer/view"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/spec"
)

type importFlags struct {
	namespaces       []string
	project          string
	repos            []string
	inlineValues     bool
	overwrite        bool
	output           string
	fromCDK          string
	stack            string
	region           string
	account          string
	keepPlaceholders bool
	fromHelmfile     string
}

func newImportCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   "import [RELEASE...]",
		Short: "Write kaji.yaml from the Helm releases that already run, a CDK app or a helmfile",
		Long: `Write kaji.yaml (-f; created when missing) from releases that already exist.

From the cluster (the default): every deployed Helm release (or those named, or those
in the namespaces given with -n) with its chart, exact version and the values it was
installed with (what helm get values shows, never the chart's defaults). Values go to
values/<release>.yaml (--inline-values: into kaji.yaml). Helm does not keep where a
chart came from: a chart of the same name and version in a repository of kaji.yaml
(or given with --repo NAME=URL) whose content is the stored chart's is used; else the
stored chart is written out to charts/<name>-<version>/, so that the result is exact.

Values whose keys look secret (password, token, secret, key...) are written to
values/<release>.secret.yaml, which .gitignore lists, never to kaji.yaml.

Imported releases are declared with adopt: true: the next kaji plan shows them in sync,
and kaji apply labels them as this project's without a new revision.

With --env, into a kaji.yaml that already declares releases, only what differs on this
cluster is written, as the environment's overrides; releases that run only here are
declared with enabled: false and enabled in the environment, and declared releases
that do not run here are disabled in it.

Running import again changes nothing when nothing changed. A release kaji.yaml declares
otherwise is reported with its differences and left alone; --overwrite replaces it.

--from-cdk reads the HelmChart resources of a synthesized CDK app (cdk.out), and
--from-helmfile the static part of a helmfile.yaml; what kaji cannot express is listed
with its file and place, never dropped. See docs/import.md.`,
		Example: `  # everything that runs on the current context, into a new ./kaji.yaml
  kaji import --project platform

  # two namespaces, with a repository to find the charts in
  kaji import -n monitoring -n ingress-nginx --repo prometheus-community=https://prometheus-community.github.io/helm-charts

  # the prod cluster, as the differences from the releases already declared
  kaji import --env prod --kube-context prod

  # from a CDK app and from a helmfile
  kaji import --from-cdk cdk.out --account 111111111111 --region eu-west-1
  kaji import --from-helmfile helmfile.yaml`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" {
				return &UsageError{Err: fmt.Errorf("unknown output format %q: use text or json", f.output)}
			}
			if err := f.check(args); err != nil {
				return &UsageError{Err: err}
			}
			rep, err := g.importReleases(cmd.Context(), f, args, streams)
			if err != nil {
				return err
			}
			if f.output == "json" {
				err = view.JSON(streams.Out, rep)
			} else {
				err = view.Text(streams.Out, rep)
			}
			if err != nil {
				return err
			}
			if rep.Blocking > 0 && !f.keepPlaceholders {
				return fmt.Errorf("%d item(s) of the import must be fixed by hand before kaji.yaml works (they are marked [must fix]); --keep-placeholders exits 0 anyway", rep.Blocking)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.namespaces, "namespace", "n", nil, "import only the releases of this namespace (repeat for more); default every namespace")
	fl.StringVar(&f.project, "project", "", "project name of a new kaji.yaml (default: the name of its directory)")
	fl.StringArrayVar(&f.repos, "repo", nil, "a repository to find stored charts in, NAME=URL (https:// or oci://); repeat for more")
	fl.BoolVar(&f.inlineValues, "inline-values", false, "write values into kaji.yaml instead of values/<release>.yaml")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace releases that kaji.yaml declares otherwise (and their values files)")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.fromCDK, "from-cdk", "", "read the HelmChart resources of a synthesized CDK app: its cdk.out directory")
	fl.StringVar(&f.stack, "stack", "", "with --from-cdk: only this stack")
	fl.StringVar(&f.region, "region", "", "with --from-cdk: the AWS region of stacks that do not say (AWS::Region)")
	fl.StringVar(&f.account, "account", "", "with --from-cdk: the AWS account of stacks that do not say (AWS::AccountId)")
	fl.BoolVar(&f.keepPlaceholders, "keep-placeholders", false, "exit 0 even when placeholders or missing chart sources are left to fix by hand")
	fl.StringVar(&f.fromHelmfile, "from-helmfile", "", "read the releases of a helmfile.yaml")
	return cmd
}

// check refuses flags that do not go together.
func (f *importFlags) check(args []string) error {
	if f.fromCDK != "" && f.fromHelmfile != "" {
		return errors.New("--from-cdk and --from-helmfile read different sources: give one")
	}
	offline := f.fromCDK != "" || f.fromHelmfile != ""
	if offline && (len(args) > 0 || len(f.namespaces) > 0 || len(f.repos) > 0) {
		return errors.New("release names, -n and --repo narrow or help an import from the cluster; they do not go with --from-cdk or --from-helmfile")
	}
	if f.fromCDK == "" && (f.stack != "" || f.region != "" || f.account != "") {
		return errors.New("--stack, --region and --account go with --from-cdk")
	}
	for _, r := range f.repos {
		name, url, ok := strings.Cut(r, "=")
		if !ok || name == "" || url == "" {
			return fmt.Errorf("--repo %q: write NAME=URL, such as --repo bitnami=oci://registry-1.docker.io/bitnamicharts", r)
		}
	}
	return nil
}

func (f *importFlags) repositories() map[string]string {
	out := map[string]string{}
	for _, r := range f.repos {
		name, url, _ := strings.Cut(r, "=")
		out[name] = url
	}
	return out
}

// importReleases reads the source and merges what it found into kaji.yaml.
func (g *globalFlags) importReleases(ctx context.Context, f *importFlags, names []string, streams Streams) (*importer.Report, error) {
	opts := importer.Options{File: g.file, Project: f.project, Env: g.env, Repositories: f.repositories(),
		InlineValues: f.inlineValues, Overwrite: f.overwrite}
	if info, err := os.Stat(g.file); err == nil && info.IsDir() {
		return nil, &UsageError{Err: fmt.Errorf("-f %s is a directory: name the kaji.yaml to write, such as -f %s", g.file, filepath.Join(g.file, spec.DefaultFile))}
	}
	if c, err := g.importCluster(); err != nil {
		return nil, err
	} else if c != nil {
		opts.Cluster = c
	}
	switch {
	case f.fromCDK != "":
		found, err := readCDK(f)
		if err != nil {
			return nil, err
		}
		rep, err := importer.Merge(ctx, found, nil, opts)
		if err != nil {
			return nil, err
		}
		cdkHandOver(found, rep)
		return rep, nil
	case f.fromHelmfile != "":
		found, err := readHelmfile(f, g.file)
		if err != nil {
			return nil, err
		}
		return importer.Merge(ctx, found, nil, opts)
	}

	cluster, project, err := g.importTarget(f, &opts)
	if err != nil {
		return nil, err
	}
	conn, err := g.connect(ctx, cluster)
	if err != nil {
		return nil, err
	}
	kube, err := plan.NewKube(conn)
	if err != nil {
		return nil, err
	}
	scope := importer.ClusterScope{Namespaces: f.namespaces, Names: names, Project: project}
	found, skipped, err := importer.ReadCluster(ctx, kube, scope)
	if err != nil {
		return nil, err
	}
	opts.Charts = newChartSources()
	opts.InScope = func(name, namespace string) bool {
		return (len(names) == 0 || slices.Contains(names, name)) && (len(f.namespaces) == 0 || slices.Contains(f.namespaces, namespace))
	}
	return importer.Merge(ctx, found, skipped, opts)
}

// importTarget is the cluster to read and the project imported into: kaji.yaml's when it
// exists (the environment's cluster when it declares the environment), else the flags'. The
// kaji.yaml loaded goes into opts, so that the import reads it once.
func (g *globalFlags) importTarget(f *importFlags, opts *importer.Options) (spec.Cluster, string, error) {
	doc, err := importer.LoadTarget(g.file)
	if err != nil {
		return spec.Cluster{}, "", err
	}
	if doc == nil {
		return spec.Cluster{}, importer.ProjectName(f.project, g.file), nil
	}
	opts.Doc = doc
	if g.env == "" {
		return doc.File.Cluster, doc.File.Project, nil
	}
	if _, ok := doc.File.Environments[g.env]; ok {
		res, err := doc.Resolve(g.env)
		if err != nil {
			return spec.Cluster{}, "", err
		}
		return res.Cluster, doc.File.Project, nil
	}
	if len(doc.File.Releases) > 0 && g.kubeContext == "" && g.kubeconfig == "" {
		return spec.Cluster{}, "", &UsageError{Err: fmt.Errorf(
			"environment %s is not in %s yet: say which cluster it is with --kube-context (or --kubeconfig), so that another environment's cluster is not read as this one", g.env, g.file)}
	}
	return doc.File.Cluster, doc.File.Project, nil
}

// importCluster is the cluster the flags name, as kaji.yaml is to say it: the context, and a
// kubeconfig given with --kubeconfig relative to kaji.yaml's directory. Nil when the flags name
// none.
func (g *globalFlags) importCluster() (*spec.Cluster, error) {
	if g.kubeContext == "" && g.kubeconfig == "" {
		return nil, nil
	}
	c := &spec.Cluster{KubeContext: g.kubeContext}
	if g.kubeconfig != "" {
		abs, err := filepath.Abs(g.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("resolve --kubeconfig %s: %w", g.kubeconfig, err)
		}
		dir, err := filepath.Abs(filepath.Dir(g.file))
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", g.file, err)
		}
		c.Kubeconfig = abs
		if rel, err := filepath.Rel(dir, abs); err == nil {
			c.Kubeconfig = rel
		}
	}
	return c, nil
}
