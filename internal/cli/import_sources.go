package cli

import (
	"context"
	"errors"
	"fmt"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/importer/cdk"
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

func readHelmfile(*importFlags, string) (*importer.Found, error) {
	return nil, errors.New("--from-helmfile: not built yet")
}

type chartSources struct{}

func newChartSources() importer.ChartSources { return chartSources{} }

func (chartSources) Find(context.Context, *chartv2.Chart, map[string]any, map[string]string) (string, string, error) {
	return "", "no repository searched", nil
}

func (chartSources) WriteLocal(string, *chartv2.Chart) (string, error) {
	return "", fmt.Errorf("not built yet")
}
