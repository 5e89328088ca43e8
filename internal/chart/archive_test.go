package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// entry is one file of a crafted archive; zeros, when set, is its size in zero bytes.
type entry struct {
	name  string
	body  string
	mode  int64
	zeros int64
}

// craftArchive writes a gzipped tar of entries. The stream is cut into gzip members, which
// a reader joins: zero-filled data is one member compressed once and repeated, so that
// gigabytes take a few megabytes.
func craftArchive(t *testing.T, entries []entry) []byte {
	t.Helper()
	var out, pending bytes.Buffer
	tw := tar.NewWriter(&pending)
	flush := func() { // pending tar bytes as one member
		zw := gzip.NewWriter(&out)
		if _, err := zw.Write(pending.Bytes()); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		pending.Reset()
	}
	const chunk = 16 << 20
	var zeroMember []byte
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		size := int64(len(e.body))
		if e.zeros > 0 {
			size = e.zeros
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: mode, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if e.zeros == 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		flush() // WriteHeader wrote the header; its data follows in members of zeros
		if e.zeros%chunk != 0 {
			t.Fatalf("zeros must be a multiple of %d", chunk)
		}
		if zeroMember == nil {
			zw := gzip.NewWriter(&pending)
			if _, err := zw.Write(make([]byte, chunk)); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			zeroMember = bytes.Clone(pending.Bytes())
			pending.Reset()
		}
		for n := e.zeros; n > 0; n -= chunk {
			out.Write(zeroMember)
		}
		tw = tar.NewWriter(&pending) // the data is written: a new writer owes none
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	flush()
	return out.Bytes()
}

// serveArchive serves data as chart c 1.0.0 of an in-process chart repository.
func serveArchive(t *testing.T, data []byte) *chartRepo {
	t.Helper()
	r := newChartRepo(t, nil)
	if err := os.WriteFile(filepath.Join(r.docroot, "c-1.0.0.tgz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	idx := repo.NewIndexFile()
	if err := idx.MustAdd(&chartv2.Metadata{APIVersion: "v2", Name: "c", Version: "1.0.0"}, "c-1.0.0.tgz", "", sha256Digest(data)); err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(r.docroot, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

const chartYAML = "apiVersion: v2\nname: c\nversion: 1.0.0\n"

// Archives built to explode or to escape the chart are refused, naming the chart and the
// entry, in bounded time and memory; Helm's loader alone would expand some of them.
func TestHostileArchivesAreRefused(t *testing.T) {
	for _, tt := range []struct {
		name    string
		entries []entry
		want    string // in the error
	}{{
		name:    "parent directory",
		entries: []entry{{name: "c/Chart.yaml", body: chartYAML}, {name: "c/../../evil.yaml", body: "x: 1\n"}},
		want:    `entry "c/../../evil.yaml": its path climbs out of the chart`,
	}, {
		name:    "absolute path",
		entries: []entry{{name: "c/Chart.yaml", body: chartYAML}, {name: "/etc/cron.d/evil", body: "x\n"}},
		want:    `entry "/etc/cron.d/evil": its path is absolute`,
	}, {
		name:    "one entry of 4 GiB",
		entries: []entry{{name: "c/Chart.yaml", body: chartYAML}, {name: "c/templates/big.yaml", zeros: 4 << 30}},
		want:    `entry "c/templates/big.yaml": the entry is larger than`,
	}, {
		// Entries marked as directories, which Helm skips by expanding and discarding them.
		name:    "2 GiB in skipped entries",
		entries: append([]entry{{name: "c/Chart.yaml", body: chartYAML}}, skipped(32, 64<<20)...),
		want:    `entry "c/templates/d1": expands to more than`,
	}, {
		name:    "too many entries",
		entries: many(MaxArchiveFiles + 1),
		want:    fmt.Sprintf("has more than %d entries", MaxArchiveFiles),
	}} {
		t.Run(tt.name, func(t *testing.T) {
			r := serveArchive(t, craftArchive(t, tt.entries))
			l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{"stable": r.url()}})
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := l.Load(t.Context(), "stable/c", "1.0.0")
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var ae *ArchiveError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "stable/c") {
				t.Fatalf("Load: %v; want an *ArchiveError naming stable/c and saying %q", err, tt.want)
			}
			alloc := (after.TotalAlloc - before.TotalAlloc) >> 20
			t.Logf("refused in %s, %d MB allocated: %v", took.Round(time.Millisecond), alloc, err)
			if took > 5*time.Second || alloc > 600 {
				t.Errorf("took %s and %d MB; want under 5 s and 600 MB", took, alloc)
			}
		})
	}
}

// skipped returns n entries of size zero bytes each that claim to be directories.
func skipped(n int, size int64) []entry {
	out := make([]entry, n)
	for i := range out {
		out[i] = entry{name: fmt.Sprintf("c/templates/d%d", i), mode: 0o40755, zeros: size}
	}
	return out
}

// many returns a chart of n entries.
func many(n int) []entry {
	out := []entry{{name: "c/Chart.yaml", body: chartYAML}}
	for i := 1; i < n; i++ {
		out = append(out, entry{name: fmt.Sprintf("c/templates/f%d.yaml", i)})
	}
	return out
}

// A chart near the bounds still loads: checking the archive refuses only what it must.
func TestArchiveWithinBoundsLoads(t *testing.T) {
	r := serveArchive(t, craftArchive(t, append(many(MaxArchiveFiles/2), entry{name: "c/files/blob", zeros: 32 << 20})))
	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{"stable": r.url()}})
	got, err := l.Load(t.Context(), "stable/c", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Chart.Templates); n != MaxArchiveFiles/2-1 {
		t.Errorf("%d templates, want %d", n, MaxArchiveFiles/2-1)
	}
}
