package values

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/spec"
)

// Source gives the values of a release, merged and ready to render. The plan, apply and
// doctor take one, so that a run reads, decrypts and resolves each release's values once.
type Source interface {
	Values(ctx context.Context, r spec.ResolvedRelease) (map[string]any, error)
}

// Files is the plain Source: the layers merged as Helm merges -f files, nothing decrypted
// or resolved.
type Files struct{}

// Values merges r's layers.
func (Files) Values(_ context.Context, r spec.ResolvedRelease) (map[string]any, error) {
	return Merge(r.Values)
}

// Secrets is a Source whose values may hold secrets. Given the values a release was last
// deployed with, Previous has what they held where secrets are now hidden as well.
type Secrets interface {
	Source
	Previous(release string, previous map[string]any)
}

// Decrypter decrypts values files that are encrypted (SOPS), in memory.
type Decrypter interface {
	// Encrypted reports whether data is an encrypted values file.
	Encrypted(data []byte) bool
	// Decrypt returns the plain values file and the secret values it held, which are to be
	// hidden wherever the run prints. file names the file in errors.
	Decrypt(file string, data []byte) (plain []byte, secrets []string, err error)
}

// Resolver replaces the references to secrets in values with what they name.
type Resolver interface {
	// IsRef reports whether a string value is a reference (well-formed or not), so that a
	// run without any makes no request and needs no credentials.
	IsRef(s string) bool
	// Resolve returns a copy of values with every reference replaced; values is not changed.
	Resolve(ctx context.Context, values map[string]any) (map[string]any, error)
}

// Options configure a Set. The zero value reads files as they are, like Files.
type Options struct {
	// Decrypter decrypts encrypted values files; nil reads every file as plain values.
	Decrypter Decrypter
	// Resolver resolves references; nil leaves them as they are written.
	Resolver Resolver
	// OnSecret is told every decrypted secret value and the file it came from. An error stops
	// the release whose values hold the value.
	OnSecret func(value, file string) error
	// OnPrevious is told the values that a release's previous values held where its values
	// now hold secrets (see Set.Previous), and where those secrets come from.
	OnPrevious func(value string, from Origin)
}

// Origin is where a secret comes from: a reference, or an encrypted values file.
type Origin struct {
	Ref  string
	File string
}

// secretPath is a place in a release's values that holds a secret.
type secretPath struct {
	keys []any
	from Origin
}

// Set is the values of one run: each file is read and decrypted at most once, each release
// merged once, and the references of all the releases prepared together are resolved in one
// batch. It never writes a value anywhere. It is safe for concurrent use.
type Set struct {
	opts Options

	mu    sync.Mutex
	files map[string]*fileEntry
	rels  map[string]*relEntry
}

type fileEntry struct {
	once sync.Once
	vals map[string]any
	// secret are the decrypted values of an encrypted file, digest the sha256 of the file as
	// encrypted.
	secret map[string]bool
	digest string
	err    error
}

type relEntry struct {
	vals    map[string]any
	secrets []secretPath
	err     error
}

// NewSet returns an empty Set.
func NewSet(opts Options) *Set {
	return &Set{opts: opts, files: map[string]*fileEntry{}, rels: map[string]*relEntry{}}
}

// Prepare merges the values of rels and resolves all their references together, in as few
// requests as the backends allow. Releases prepared before are not prepared again. The
// error of each release is kept for Values to return; Prepare returns them joined.
func (s *Set) Prepare(ctx context.Context, rels []spec.ResolvedRelease) error {
	var todo []spec.ResolvedRelease
	s.mu.Lock()
	for _, r := range rels {
		if _, ok := s.rels[key(r)]; !ok {
			todo = append(todo, r)
		}
	}
	s.mu.Unlock()
	merged := map[string]map[string]any{}
	paths := map[string][]secretPath{}
	var errs []error
	done := map[string]*relEntry{}
	for _, r := range todo {
		v, filePaths, err := s.merge(r)
		if err != nil {
			done[key(r)] = &relEntry{err: err}
			errs = append(errs, fmt.Errorf("release %s: %w", r.Name, err))
			continue
		}
		merged[key(r)] = v
		paths[key(r)] = append(filePaths, s.refPaths(v)...)
	}
	resolved := s.resolve(ctx, merged)
	for _, k := range slices.Sorted(maps.Keys(resolved)) {
		e := resolved[k]
		e.secrets = paths[k]
		done[k] = e
		if e.err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", k, e.err))
		}
	}
	s.mu.Lock()
	for k, e := range done {
		if _, ok := s.rels[k]; !ok {
			s.rels[k] = e
		}
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

// Values returns the merged, decrypted and resolved values of r, a copy the caller may
// change. A release not prepared before is prepared alone.
func (s *Set) Values(ctx context.Context, r spec.ResolvedRelease) (map[string]any, error) {
	s.mu.Lock()
	e, ok := s.rels[key(r)]
	s.mu.Unlock()
	if !ok {
		_ = s.Prepare(ctx, []spec.ResolvedRelease{r}) // its error is kept with the release
		s.mu.Lock()
		e = s.rels[key(r)]
		s.mu.Unlock()
	}
	if e.err != nil {
		return nil, e.err
	}
	return deepCopy(e.vals).(map[string]any), nil
}

// key tells releases apart: an environment never declares two of the same name.
func key(r spec.ResolvedRelease) string { return r.Name }

// merge reads and merges r's layers, decrypting encrypted files. It also returns where the
// decrypted values are.
func (s *Set) merge(r spec.ResolvedRelease) (map[string]any, []secretPath, error) {
	base := map[string]any{}
	var paths []secretPath
	for _, l := range r.Values {
		var m map[string]any
		if l.File != "" {
			e, err := s.file(l)
			if err != nil {
				return nil, nil, err
			}
			m = deepCopy(e.vals).(map[string]any) // MergeMaps changes its first argument's maps
			if len(e.secret) > 0 {
				walkStrings(m, nil, func(keys []any, v string) {
					if e.secret[v] {
						paths = append(paths, secretPath{keys: keys, from: Origin{File: l.File}})
					}
				})
			}
		} else {
			v, err := read(l)
			if err != nil {
				return nil, nil, err
			}
			m = v
		}
		base = loader.MergeMaps(base, m)
	}
	return base, paths, nil
}

// refPaths lists where merged holds references, when the set resolves them.
func (s *Set) refPaths(merged map[string]any) []secretPath {
	if s.opts.Resolver == nil {
		return nil
	}
	var out []secretPath
	walkStrings(merged, nil, func(keys []any, v string) {
		if s.opts.Resolver.IsRef(v) {
			out = append(out, secretPath{keys: keys, from: Origin{Ref: v}})
		}
	})
	return out
}

// Previous tells OnPrevious what previous, the values a release was last deployed with, holds
// where its values hold secrets now: a secret that changed is then hidden in what is printed
// of the release as it was (its manifest, its live objects), like the new one.
func (s *Set) Previous(release string, previous map[string]any) {
	if s.opts.OnPrevious == nil || previous == nil {
		return
	}
	s.mu.Lock()
	e, ok := s.rels[release]
	s.mu.Unlock()
	if !ok {
		return
	}
	for _, p := range e.secrets {
		if v, ok := lookup(previous, p.keys).(string); ok && v != "" {
			s.opts.OnPrevious(v, p.from)
		}
	}
}

// walkStrings calls fn with every string of v and its keys.
func walkStrings(v any, keys []any, fn func(keys []any, v string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			walkStrings(e, append(slices.Clone(keys), k), fn)
		}
	case []any:
		for i, e := range v {
			walkStrings(e, append(slices.Clone(keys), i), fn)
		}
	case string:
		fn(keys, v)
	}
}

// lookup returns what v holds at keys, or nil.
func lookup(v any, keys []any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// file reads, decrypts and parses one values file, once per run.
func (s *Set) file(l spec.ValuesLayer) (*fileEntry, error) {
	s.mu.Lock()
	e, ok := s.files[l.File]
	if !ok {
		e = &fileEntry{}
		s.files[l.File] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.vals, e.secret, e.digest, e.err = s.readFile(l) })
	return e, e.err
}

func (s *Set) readFile(l spec.ValuesLayer) (map[string]any, map[string]bool, string, error) {
	data, err := spec.ReadFile(l.File)
	if err != nil {
		return nil, nil, "", fmt.Errorf("values file %s (declared at %s): %w", l.File, l.Origin, err)
	}
	var secretSet map[string]bool
	var digest string
	decrypted := false
	if d := s.opts.Decrypter; d != nil && d.Encrypted(data) {
		decrypted = true
		sum := sha256.Sum256(data)
		digest = "sha256:" + hex.EncodeToString(sum[:])
		plain, secret, err := d.Decrypt(l.File, data)
		if err != nil {
			return nil, nil, "", fmt.Errorf("values file %s (declared at %s): %w", l.File, l.Origin, err)
		}
		secretSet = map[string]bool{}
		for _, v := range secret {
			secretSet[v] = true
		}
		if s.opts.OnSecret != nil {
			var errs []error
			for _, v := range secret {
				if err := s.opts.OnSecret(v, l.File); err != nil {
					errs = append(errs, err)
				}
			}
			if err := errors.Join(errs...); err != nil {
				return nil, nil, "", fmt.Errorf("values file %s: %w", l.File, err)
			}
		}
		data = plain
	}
	m, err := loader.LoadValues(bytes.NewReader(data))
	if err != nil && decrypted {
		// A decrypted file's parse error may quote a value: name the file only.
		return nil, nil, "", fmt.Errorf("parse %s: its decrypted values are not a mapping of values", l.File)
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("parse %s: %w", l.File, err)
	}
	return m, secretSet, digest, nil
}

// resolve resolves the references of every merged release in one call, under one key per
// release, and splits the result and the errors back by release.
func (s *Set) resolve(ctx context.Context, merged map[string]map[string]any) map[string]*relEntry {
	out := map[string]*relEntry{}
	all := map[string]any{}
	for k, v := range merged {
		if s.opts.Resolver != nil && len(s.refPaths(v)) > 0 {
			all[k] = v
			continue
		}
		out[k] = &relEntry{vals: v}
	}
	if len(all) == 0 {
		return out
	}
	resolved, err := s.opts.Resolver.Resolve(ctx, all)
	if err == nil {
		for k := range all {
			v, ok := resolved[k].(map[string]any)
			if !ok {
				out[k] = &relEntry{err: fmt.Errorf("resolving the references gave no values for the release")}
				continue
			}
			out[k] = &relEntry{vals: v}
		}
		return out
	}
	// Something failed: each release again on its own, for its own errors with its own
	// paths. What was read before is not read again.
	for k, v := range all {
		r, err := s.opts.Resolver.Resolve(ctx, v.(map[string]any))
		if err != nil {
			out[k] = &relEntry{err: err}
			continue
		}
		out[k] = &relEntry{vals: r}
	}
	return out
}

// deepCopy copies maps and lists; other values are shared (they are immutable).
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
