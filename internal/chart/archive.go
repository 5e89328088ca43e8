package chart

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
)

// MaxArchiveFiles bounds the entries of a chart archive. The largest charts in common use hold
// a few hundred files (kube-prometheus-stack, with its dashboards, about 400).
const MaxArchiveFiles = 10_000

// maxArchiveStream bounds the bytes a chart archive expands to, tar headers and entries that
// Helm skips included: Helm's own bound on the files it keeps, plus room for the headers of
// MaxArchiveFiles entries.
func maxArchiveStream() int64 {
	return archive.MaxDecompressedChartSize + MaxArchiveFiles*3*512
}

// ArchiveError is a chart archive that kaji refuses to load: too many entries, too large
// once expanded, or an entry whose path leaves the chart.
type ArchiveError struct {
	// Archive is the archive's file.
	Archive string
	// Entry is the entry at fault, when one is.
	Entry  string
	Reason string
}

func (e *ArchiveError) Error() string {
	where := "chart archive " + e.Archive
	if e.Entry != "" {
		where += fmt.Sprintf(", entry %q", e.Entry)
	}
	return where + ": " + e.Reason + " (a broken or hostile archive: check where it comes from)"
}

// checkArchive reads the chart archive at file as a stream, without keeping its contents, and
// refuses it before Helm's loader expands it when it has more than MaxArchiveFiles entries,
// expands to more than maxArchiveStream bytes (a gzip bomb, or gigabytes in entries Helm
// skips), or has an entry whose path is absolute or climbs out of the chart with "..". Helm
// refuses these paths too, but without naming the entry.
func checkArchive(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return &ArchiveError{Archive: file, Reason: fmt.Sprintf("not a gzipped archive: %v", err)}
	}
	defer zr.Close()
	limit := maxArchiveStream()
	budget := &budgetReader{r: zr, left: limit}
	tr := tar.NewReader(budget)
	current := "" // the entry being read, whose data tr.Next skips
	for n := 0; ; n++ {
		hd, err := tr.Next()
		if budget.over {
			return &ArchiveError{Archive: file, Entry: current, Reason: fmt.Sprintf("expands to more than %d MiB", limit>>20)}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &ArchiveError{Archive: file, Reason: fmt.Sprintf("not a valid tar archive: %v", err)}
		}
		if n >= MaxArchiveFiles {
			return &ArchiveError{Archive: file, Entry: hd.Name, Reason: fmt.Sprintf("has more than %d entries", MaxArchiveFiles)}
		}
		if hd.Size > limit {
			return &ArchiveError{Archive: file, Entry: hd.Name, Reason: fmt.Sprintf("the entry is larger than %d MiB", limit>>20)}
		}
		if reason := unsafeEntry(hd.Name); reason != "" {
			return &ArchiveError{Archive: file, Entry: hd.Name, Reason: reason}
		}
		current = hd.Name
	}
}

// unsafeEntry says why an archive entry's path leaves the chart, or "" when it does not.
func unsafeEntry(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case path.IsAbs(n) || len(n) >= 2 && n[1] == ':':
		return "its path is absolute"
	case n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") || strings.HasSuffix(n, "/.."):
		return "its path climbs out of the chart (..)"
	}
	return ""
}

// budgetReader reads from r until left bytes are read, then fails.
type budgetReader struct {
	r    io.Reader
	left int64
	over bool
}

var errOverBudget = errors.New("archive expands beyond its bound")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.over = true
		return 0, errOverBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
