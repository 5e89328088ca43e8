package chartsource_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/importer/chartsource"
	"kaji.dev/kaji/internal/render/corpus"
)

// Every corpus chart has one digest loaded from its directory, from its archive, and read back
// from a release record, once in the form Helm stores it.
func TestDigestSurvivesReleaseEncoding(t *testing.T) {
	dir, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := corpus.Manifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 10 {
		t.Fatalf("the corpus lists %d charts, want the 11 of its README", len(entries))
	}
	for _, e := range entries {
		t.Run(e.Name, func(t *testing.T) {
			fromDir, err := loader.LoadDir(filepath.Join(dir, e.Name))
			if err != nil {
				t.Fatal(err)
			}
			archive := reload(t, fromDir)
			if a, b := chartsource.Digest(fromDir), chartsource.Digest(archive); a != b {
				t.Errorf("directory digest %s, archive digest %s", a, b)
			}
			form, err := chartsource.StoredForm(archive, nil)
			if err != nil {
				t.Fatal(err)
			}
			stored := throughRelease(t, form)
			if a, b := chartsource.Digest(form), chartsource.Digest(stored); a != b {
				t.Errorf("stored form digest %s, read back from the release %s", a, b)
			}
			// Without dependencies, the chart as loaded is the chart as stored.
			if len(archive.Metadata.Dependencies) == 0 {
				if a, b := chartsource.Digest(archive), chartsource.Digest(stored); a != b {
					t.Errorf("archive digest %s, read back from the release %s", a, b)
				}
			}
			if len(stored.Dependencies()) != 0 {
				t.Errorf("a release record kept %d subcharts; Helm stores none, which Digest assumes", len(stored.Dependencies()))
			}
			if stored.Metadata.Name != e.Name || stored.Metadata.Version != fromDir.Metadata.Version {
				t.Errorf("read back %s %s, want %s %s", stored.Metadata.Name, stored.Metadata.Version, e.Name, fromDir.Metadata.Version)
			}
		})
	}
}

// The digest covers what decides a render, names the first part that differs, and ignores
// what Helm does not store.
func TestDigestParts(t *testing.T) {
	base := corpusArchive(t, "aws-vpc-cni")
	crd := firstFile(t, base.Files, "crds/")
	tests := []struct {
		name   string
		change func(c *chartv2.Chart)
		want   string // first differing file; empty: same digest
	}{
		{"template", func(c *chartv2.Chart) { c.Templates[0].Data = append(c.Templates[0].Data, '\n') }, base.Templates[0].Name},
		{"new template", func(c *chartv2.Chart) {
			c.Templates = append(c.Templates, &common.File{Name: "templates/zz.yaml", Data: []byte("x")})
		}, "templates/zz.yaml"},
		{"default value", func(c *chartv2.Chart) { c.Values["kaji"] = 1 }, "values.yaml"},
		{"appVersion", func(c *chartv2.Chart) { c.Metadata.AppVersion = "v0" }, "Chart.yaml"},
		{"type", func(c *chartv2.Chart) { c.Metadata.Type = "library" }, "Chart.yaml"},
		{"schema", func(c *chartv2.Chart) { c.Schema = []byte(`{"type":"object"}`) }, "values.schema.json"},
		{"crd", func(c *chartv2.Chart) { fileNamed(c.Files, crd).Data = []byte("kind: X") }, crd},
		{"raw files", func(c *chartv2.Chart) { c.Raw = nil }, ""},
		{"modification times", func(c *chartv2.Chart) {
			c.ModTime = time.Unix(1, 0)
			c.Templates[0].ModTime = time.Unix(2, 0)
		}, ""},
		{"values as another number type", func(c *chartv2.Chart) { c.Values["kaji"] = 3.0 }, "values.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := reload(t, base)
			tt.change(c)
			same := chartsource.Digest(c) == chartsource.Digest(base)
			if same != (tt.want == "") {
				t.Errorf("digest unchanged: %v, want %v", same, tt.want == "")
			}
			if got := chartsource.FirstDifference(c, base); got != tt.want {
				t.Errorf("first difference %q, want %q", got, tt.want)
			}
		})
	}
	// Values compare as data: an int and the float64 that a release record decodes are equal.
	a, b := reload(t, base), reload(t, base)
	a.Values["kaji"], b.Values["kaji"] = 3, 3.0
	if chartsource.Digest(a) != chartsource.Digest(b) {
		t.Error("the values 3 and 3.0 give different digests")
	}
}

func firstFile(t *testing.T, files []*common.File, prefix string) string {
	t.Helper()
	i := slices.IndexFunc(files, func(f *common.File) bool { return len(f.Name) > len(prefix) && f.Name[:len(prefix)] == prefix })
	if i < 0 {
		t.Fatalf("no file under %s", prefix)
	}
	return files[i].Name
}

func fileNamed(files []*common.File, name string) *common.File {
	for _, f := range files {
		if f.Name == name {
			return f
		}
	}
	return nil
}
