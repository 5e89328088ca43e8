package chart

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// loadLocal loads a chart directory or archive. A version that is set must match Chart.yaml.
func loadLocal(path, version string) (*Loaded, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &LocalChartError{Path: path, Reason: "does not exist", Err: fs.ErrNotExist}
	case err != nil:
		return nil, &LocalChartError{Path: path, Reason: "cannot be read", Err: err}
	}

	var ch *chartv2.Chart
	var digest string
	if fi.IsDir() {
		if !isFile(filepath.Join(path, "Chart.yaml")) {
			return nil, &LocalChartError{Path: path, Reason: "is not a chart: it has no Chart.yaml"}
		}
		ch, err = loader.LoadDir(path)
	} else {
		err = checkArchive(path)
		if err == nil {
			ch, err = loader.LoadFile(path)
		}
		if err == nil {
			digest, err = fileDigest(path)
		}
	}
	if err != nil {
		return nil, &LocalChartError{Path: path, Reason: "is not a valid chart", Err: err}
	}
	if !matches(ch.Metadata.Version, version) {
		return nil, &NoMatchingVersionError{Chart: path, Constraint: version, Newest: []string{ch.Metadata.Version}, Local: true}
	}
	return &Loaded{
		Chart:   ch,
		Source:  SourceLocal,
		Version: ch.Metadata.Version,
		Digest:  digest,
		Path:    path,
	}, nil
}
