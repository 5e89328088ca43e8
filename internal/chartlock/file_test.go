package chartlock

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/readlimit/readlimittest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

func digest(c string) string { return "sha256:" + strings.Repeat(c, 64) }

// sample has entries out of order, an environment whose name YAML would read as a number, a
// version YAML would read as a float, and an OCI entry.
func sample() *File {
	return &File{Entries: []Entry{
		{Release: "web", Repository: "oci://registry.example.com/team/charts", Chart: "web", Version: "2.0.0+build.7", Digest: digest("b")},
		{Release: "api", Environment: "prod", Repository: "https://charts.example.com/stable", Chart: "app", Version: "1.3.7", Digest: digest("c")},
		{Release: "api", Repository: "https://charts.example.com/stable", Chart: "app", Version: "1.4.2", Digest: digest("a")},
		{Release: "api", Environment: "2024", Repository: "https://charts.example.com/stable", Chart: "app", Version: "1.10.0", Digest: digest("d")},
	}}
}

func TestEncodeGolden(t *testing.T) {
	got, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "kaji.lock.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

func TestRoundTripIsByteIdentical(t *testing.T) {
	f := sample()
	first, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode("kaji.lock", first)
	if err != nil {
		t.Fatal(err)
	}
	want := f.Clone()
	want.sort()
	if !reflect.DeepEqual(back, want) {
		t.Errorf("decoded %+v, want %+v", back.Entries, want.Entries)
	}
	if back.Entries[0].Key() != (Key{"api", ""}) || back.Entries[1].Key() != (Key{"api", "2024"}) || back.Entries[3].Key() != (Key{"web", ""}) {
		t.Errorf("entries not sorted by release then environment: %+v", back.Entries)
	}
	second, err := back.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("encoding the decoded file changed it:\n%s\n---\n%s", first, second)
	}
	empty, err := (&File{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(empty), "apiVersion: kaji.dev/lock/v1\nreleases: []\n") {
		t.Errorf("empty file encodes as:\n%s", empty)
	}
	if f, err := Decode("kaji.lock", empty); err != nil || len(f.Entries) != 0 {
		t.Errorf("empty file decodes to %+v, %v", f, err)
	}
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-fields.lock", []string{
			`unknown-fields.lock:2:1: kaji.lock has an unknown field "release" (known fields: apiVersion, releases)`,
			`unknown-fields.lock:8:5: an entry has an unknown field "digests" (known fields: release, environment, repository, chart, version, digest)`,
			`unknown-fields.lock:4:5: the entry has no digest`,
		}},
		{"bad-values.lock", []string{
			`bad-values.lock:1:13: apiVersion "kaji.dev/lock/v9" is not kaji.dev/lock/v1`,
			`bad-values.lock:6:14: version "^1.2" is not an exact version`,
			`bad-values.lock:7:13: digest "sha256:ABC" is not sha256:<64 lowercase hex digits>`,
			`bad-values.lock:9:17: repository "charts.example.com" is neither`,
			`bad-values.lock:12:14: version must be a string`,
		}},
		{"duplicates.lock", []string{
			`duplicates.lock:9:5: release api (environment prod) is locked twice (also at line 3)`,
			`duplicates.lock:17:5: an entry repeats the field "chart"`,
		}},
		{"not-a-list.lock", []string{`not-a-list.lock:2:11: releases must be a list`}},
		{"empty.lock", []string{`empty.lock: the file is empty`}},
		{"invalid-yaml.lock", []string{`invalid-yaml.lock: not valid YAML`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(tt.file, data)
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("err = %v, want Problems", err)
			}
			if len(ps) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(ps), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems lack %q:\n%v", w, err)
				}
			}
			if !strings.Contains(err.Error(), "run kaji lock to write it again") {
				t.Errorf("problems do not say what to do: %v", err)
			}
		})
	}
}

func TestSetGetDelete(t *testing.T) {
	f := &File{}
	for _, e := range sample().Entries {
		f.Set(e)
	}
	var keys []Key
	for _, e := range f.Entries {
		keys = append(keys, e.Key())
	}
	want := []Key{{"api", ""}, {"api", "2024"}, {"api", "prod"}, {"web", ""}}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	f.Set(Entry{Release: "api", Environment: "prod", Version: "9.9.9"})
	if e, ok := f.Get(Key{"api", "prod"}); !ok || e.Version != "9.9.9" || len(f.Entries) != 4 {
		t.Errorf("Set did not replace the entry: %+v", f.Entries)
	}
	f.Delete(Key{"api", "2024"})
	f.Delete(Key{"nope", ""})
	if _, ok := f.Get(Key{"api", "2024"}); ok || len(f.Entries) != 3 {
		t.Errorf("Delete left %+v", f.Entries)
	}
	var none *File
	if _, ok := none.Get(Key{"api", ""}); ok {
		t.Error("a nil File has entries")
	}
}

func TestDiff(t *testing.T) {
	old := &File{Entries: []Entry{
		{Release: "api", Repository: "https://r", Chart: "app", Version: "1.0.0", Digest: digest("a")},
		{Release: "gone", Repository: "https://r", Chart: "gone", Version: "1.0.0", Digest: digest("b")},
		{Release: "same", Repository: "https://r", Chart: "same", Version: "1.0.0", Digest: digest("c")},
	}}
	next := &File{Entries: []Entry{
		{Release: "new", Repository: "https://r", Chart: "new", Version: "0.1.0", Digest: digest("d")},
		{Release: "api", Repository: "https://r", Chart: "app", Version: "1.0.1", Digest: digest("e")},
		{Release: "same", Repository: "https://r", Chart: "same", Version: "1.0.0", Digest: digest("c")},
	}}
	got := Diff(old, next)
	type change struct {
		key      Key
		old, new string
	}
	var summary []change
	for _, c := range got {
		s := change{key: c.Key}
		if c.Old != nil {
			s.old = c.Old.Version
		}
		if c.New != nil {
			s.new = c.New.Version
		}
		summary = append(summary, s)
	}
	want := []change{{Key{"api", ""}, "1.0.0", "1.0.1"}, {Key{"gone", ""}, "1.0.0", ""}, {Key{"new", ""}, "", "0.1.0"}}
	if !reflect.DeepEqual(summary, want) {
		t.Errorf("Diff = %+v, want %+v", summary, want)
	}
	if n := len(Diff(nil, old)); n != 3 {
		t.Errorf("Diff from no file has %d changes, want 3 additions", n)
	}
	if n := len(Diff(old, old)); n != 0 {
		t.Errorf("Diff of a file with itself has %d changes", n)
	}
}

func TestWriteAndRead(t *testing.T) {
	dir := t.TempDir()
	path := PathFor(dir)
	if f, err := Read(path); f != nil || err != nil {
		t.Fatalf("Read of a missing file = %v, %v; want nil, nil", f, err)
	}
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 4 {
		t.Errorf("read back %d entries, want 4", len(got.Entries))
	}
	if err := Write(path, &File{}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != FileName {
		t.Errorf("directory holds %v, want kaji.lock alone (no temporary file left)", entries)
	}

	// A failed write leaves the old file as it was.
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if os.Getuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	if err := Write(path, sample()); err == nil || !strings.Contains(err.Error(), "check that its directory is writable") {
		t.Errorf("Write into a read-only directory: %v", err)
	}
	if f, err := Read(path); err != nil || len(f.Entries) != 0 {
		t.Errorf("after a failed write: %+v, %v; want the old, empty file", f, err)
	}
}

func TestReadRefusesALockFileTooLargeToBeKajis(t *testing.T) {
	path := readlimittest.HugeFile(t, FileName)
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Read of a 1 GiB kaji.lock: %v; want it refused as larger than 4 MiB, with its path", err)
	}

	// A file of exactly the limit is read and decoded (and refused for what it holds).
	if err := os.Truncate(path, MaxFileSize); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || strings.Contains(err.Error(), "larger than") {
		t.Errorf("Read of a kaji.lock of exactly %d bytes: %v; want a decoding error, not the size limit", MaxFileSize, err)
	}
}
