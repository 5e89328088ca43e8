package values

import "kaji.dev/kaji/internal/spec"

// Versioner is a Resolver that also says which version of a secret a reference resolved to
// (an SSM parameter's version number, a Secrets Manager VersionId).
type Versioner interface {
	Version(ref string) (version string, ok bool)
}

// Masker is a Source that can give a release's values with each secret replaced by where it
// comes from and which version of it: what a digest of the values may be taken of without
// holding anything that a guess of the secret could be checked against.
type Masker interface {
	Masked(r spec.ResolvedRelease) (map[string]any, bool)
}

// Masked returns the values of r as Values does, with every secret replaced by a string that
// names its origin and version: "(secret: REF, version V)" for a reference, "(secret from
// FILE, sha256:...)" with the digest of the encrypted file for a SOPS file. The string changes
// when the secret is rotated (a new version, a re-encrypted file) but never says what it
// holds. A reference whose resolver does not tell versions is named alone. ok is false for a
// release that was not prepared or failed.
func (s *Set) Masked(r spec.ResolvedRelease) (map[string]any, bool) {
	s.mu.Lock()
	e, ok := s.rels[key(r)]
	s.mu.Unlock()
	if !ok || e.err != nil {
		return nil, false
	}
	out := deepCopy(e.vals).(map[string]any)
	for _, p := range e.secrets {
		setAt(out, p.keys, s.mask(p.from))
	}
	return out, true
}

// mask is what stands for a secret from o in Masked.
func (s *Set) mask(o Origin) string {
	if o.File != "" {
		s.mu.Lock()
		f := s.files[o.File]
		s.mu.Unlock()
		digest := ""
		if f != nil {
			digest = f.digest
		}
		return "(secret from " + o.File + ", " + digest + ")"
	}
	if v, ok := s.opts.Resolver.(Versioner); ok {
		if version, ok := v.Version(o.Ref); ok {
			return "(secret: " + o.Ref + ", version " + version + ")"
		}
	}
	return "(secret: " + o.Ref + ")"
}

// setAt replaces what v holds at keys with x, where v holds something there.
func setAt(v any, keys []any, x any) {
	if len(keys) == 0 {
		return
	}
	last := len(keys) - 1
	parent := lookup(v, keys[:last])
	switch k := keys[last].(type) {
	case string:
		if m, ok := parent.(map[string]any); ok {
			if _, ok := m[k]; ok {
				m[k] = x
			}
		}
	case int:
		if l, ok := parent.([]any); ok && k < len(l) {
			l[k] = x
		}
	}
}
