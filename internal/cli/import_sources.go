package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/importer/cdk"
	"kaji.dev/kaji/internal/importer/chartsource"
	"kaji.dev/kaji/internal/importer/helmfile"
)

// readCDK reads the HelmChart resources of a synthesized CDK app.
func readCDK(f *importFlags) (*importer.Found, error) {
	return cdk.Read(f.fromCDK, cdk.Options{Stack: f.stack, Region: f.region, Account: f.account})
}

// cdkHandOver adds the steps that take the releases from CloudFormation without uninstalling.
func cdkHandOver(found *importer.Found, rep *importer.Report) {
	rep.HandOver = cdk.HandOver(found)
}

// readHelmfile reads the static part of a helmfile.yaml, with paths made relative to kajiFile's
// directory.
func readHelmfile(f *importFlags, kajiFile string) (*importer.Found, error) {
	dir, err := filepath.Abs(filepath.Dir(kajiFile))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", kajiFile, err)
	}
	return helmfile.Read(f.fromHelmfile, helmfile.Options{KajiDir: dir})
}

// chartSources finds stored charts in repositories through kaji's chart loader and its cache,
// and writes them out when no repository has them.
type chartSources struct{ loader *chart.Loader }

func newChartSources() importer.ChartSources {
	return chartSources{loader: chart.NewLoader(chart.Options{})}
}

func (c chartSources) Find(ctx context.Context, stored *chartv2.Chart, config map[string]any, repos map[string]string) (string, string, error) {
	res, err := chartsource.Match(ctx, c.loader, stored, config, repos)
	if err != nil {
		return "", "", err
	}
	tried := make([]string, len(res.Attempts))
	for i, a := range res.Attempts {
		tried[i] = a.String()
	}
	if res.Matched() {
		return res.Chart, fmt.Sprintf("repository %s (content matches the stored chart)", res.Repository), nil
	}
	if len(tried) == 0 {
		return "", "no repository to look in: kaji.yaml declares none and no --repo was given", nil
	}
	return "", "no repository has it: " + strings.Join(tried, "; "), nil
}

func (chartSources) WriteLocal(dir string, stored *chartv2.Chart) (string, error) {
	return chartsource.WriteLocal(dir, stored)
}
