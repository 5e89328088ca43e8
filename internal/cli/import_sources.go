package cli

import (
	"context"
	"errors"
	"fmt"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/importer"
)

func readCDK(*importFlags) (*importer.Found, error) {
	return nil, errors.New("--from-cdk: not built yet")
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
