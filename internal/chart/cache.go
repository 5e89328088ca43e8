package chart

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// dirKey turns a repository URL or an OCI repository into one readable, collision-free
// directory name: the host and path with unsafe characters replaced, and a hash of the whole.
func dirKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	readable := s
	if i := strings.Index(readable, "://"); i >= 0 {
		readable = readable[i+3:]
	}
	readable = safeName(strings.Trim(readable, "/"))
	if len(readable) > 60 {
		readable = readable[:60]
	}
	return readable + "-" + hex.EncodeToString(sum[:6])
}

// safeName keeps letters, digits and ._+- and replaces every other character with _.
// The result never contains a path separator.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._+-", r):
			return r
		default:
			return '_'
		}
	}, s)
}

// writeFileAtomic writes data to path through a temporary file and a rename, so that a reader,
// in this process or another kaji, never sees a partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	return commitTemp(tmp, path)
}

// writeTemp writes data to a new temporary file next to path and returns its name.
func writeTemp(path string, data []byte) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create cache directory (check its permissions): %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return "", fmt.Errorf("write to the cache (check its permissions): %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write %s (check the cache directory): %w", path, err)
	}
	return f.Name(), nil
}

// commitTemp renames the temporary file tmp to path, or removes it if that fails.
func commitTemp(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s (check the cache directory): %w", path, err)
	}
	return nil
}

// sha256Digest returns "sha256:<hex>" of data.
func sha256Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// fileDigest returns "sha256:<hex>" of the file at path.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// isFile reports whether path is a regular, non-empty file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() > 0
}

// normalizeDigest returns "sha256:<lowercase hex>" for a sha256 digest written with or without
// its algorithm prefix, and "" for anything else.
func normalizeDigest(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(d); err != nil {
		return ""
	}
	return "sha256:" + d
}
