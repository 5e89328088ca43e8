package values

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
)

// aliasBomb is values with levels of lists of nine aliases to the level below.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString(`l0: &l0 ["x","x","x","x","x","x","x","x","x"]` + "\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	return b.String()
}

// sopsHeader makes a file that looks SOPS-encrypted to a first glance.
const sopsHeader = "sops:\n  mac: ENC[AES256_GCM,data:x,iv:x,tag:x,type:str]\n  age:\n    - recipient: age1x\n      enc: x\n"

// Values files built to explode are refused with an error naming the file, in bounded time
// and memory, whether read as plain values or through the SOPS decrypter: an alias bomb of
// nine levels of nine aliases, 100,000 nested lists or mappings, and a file of 100 MB.
func TestExplodingValuesFilesAreRefused(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(path string) error
		want  string
	}{
		{"alias bomb", text(aliasBomb(9)), "excessive aliasing"},
		{"alias bomb in a SOPS file", text(sopsHeader + aliasBomb(9)), "excessive aliasing"},
		{"100,000 nested lists", text("a: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"), "exceeded max depth"},
		{"100,000 nested mappings", text("a: " + strings.Repeat("{a: ", 100_000) + "1" + strings.Repeat("}", 100_000) + "\n"), "exceeded max depth"},
		{"100 MB", func(path string) error {
			if err := os.WriteFile(path, []byte("a: 1\n"), 0o600); err != nil {
				return err
			}
			return os.Truncate(path, 100<<20)
		}, "larger than 4 MiB"},
	} {
		path := filepath.Join(t.TempDir(), "values.yaml")
		if err := tt.write(path); err != nil {
			t.Fatal(err)
		}
		r := spec.ResolvedRelease{Name: "a", Values: []spec.ValuesLayer{{File: path}}}
		for _, reader := range []struct {
			name string
			read func() error
		}{
			{"Merge", func() error { _, err := Merge(r.Values); return err }},
			{"SOPS", func() error {
				_, err := NewSet(Options{Decrypter: sopsvalues.Decrypter{}}).Values(t.Context(), r)
				return err
			}},
		} {
			t.Run(tt.name+"/"+reader.name, func(t *testing.T) {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				err := reader.read()
				took := time.Since(start)
				runtime.ReadMemStats(&after)
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("%v; want an error naming %s that says %q", err, path, tt.want)
				}
				alloc := (after.TotalAlloc - before.TotalAlloc) >> 20
				t.Logf("refused in %s, %d MB allocated: %.160s", took.Round(time.Millisecond), alloc, err)
				if took > 5*time.Second || alloc > 600 {
					t.Errorf("took %s and %d MB; want under 5 s and 600 MB", took, alloc)
				}
			})
		}
	}
}

func text(s string) func(string) error {
	return func(path string) error { return os.WriteFile(path, []byte(s), 0o600) }
}
