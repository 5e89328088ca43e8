package cli

import (
	"context"
	"fmt"
	"path/filepath"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/importer/cdk"
	"kaji.dev/kaji/internal/importer/helmfile"
)

// readCDK reads the HelmChart resources of a synthesized CDK app.
func readCDK(f *importFlags) (*importer.Found, error) {
	return cdk.Read(f.fromCDK, cdk.Options{Stack: f.stack, Region: f.region, Account: f.account})
}

// cdkHandOver adds the steps that take the releases from CloudFormation without uninstalling.
func cdkHandOver(found *importer.Found, rep *importer.Report) {
	for _, s := range cdk.HandOver(found) {
		rep.HandOver = append(rep.HandOver, importer.Step(s))
	}
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

type chartSources struct{}

func newChartSources() importer.ChartSources { return chartSources{} }

func (chartSources) Find(context.Context, *chartv2.Chart, map[string]any, map[string]string) (string, string, error) {
	return "", "no repository searched", nil
}

func (chartSources) WriteLocal(string, *chartv2.Chart) (string, error) {
	return "", fmt.Errorf("not built yet")
}
