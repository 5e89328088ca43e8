package doctor

import (
	"fmt"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// secretInventory is what kaji.yaml reads from AWS when it is planned: the references of the
// releases' values, and the AWS KMS keys of their SOPS files.
type secretInventory struct {
	// refs are the well-formed references, each once, in the order first met.
	refs []secrets.Ref
	// refWhere says where each reference is used, by Ref.Raw: "release api: db.password".
	refWhere map[string][]string
	// keys are the KMS keys of SOPS files, each once per file.
	keys []sopsKey
	// sopsFiles counts the SOPS files, KMS keys or not.
	sopsFiles int
	// notes are what doctor could not read, or skipped, one fact a line.
	notes []string
}

// sopsKey is an AWS KMS key of a SOPS file.
type sopsKey struct {
	key sopsvalues.KMSKey
	// file is the file as kaji.yaml names it, relative to its directory.
	file string
	// releases use the file.
	releases []string
}

// label names what needs a SOPS key in permissions and evidence.
func (k sopsKey) label() string { return "SOPS file " + k.file }

// empty says whether kaji.yaml reads nothing from AWS.
func (inv secretInventory) empty() bool { return len(inv.refs) == 0 && len(inv.keys) == 0 }

// collectSecrets lists the references and SOPS KMS keys of the releases of res: each
// release's values layers are merged as Helm merges them, without resolving anything, so that
// a reference a later layer overrides is not listed; SOPS files are not merged, and only
// their metadata is read.
func collectSecrets(res *spec.Resolved) secretInventory {
	inv := secretInventory{refWhere: map[string][]string{}}
	fileSeen := map[string]bool{}
	keyAt := map[string]int{}
	for _, r := range res.Releases {
		var plain []spec.ValuesLayer
		for _, l := range r.Values {
			if l.File == "" {
				plain = append(plain, l)
				continue
			}
			data, err := spec.ReadFile(l.File)
			if err != nil || !sopsvalues.IsSOPS(data) {
				plain = append(plain, l) // Merge reports a file it cannot read
				continue
			}
			name := res.DisplayPath(l.File)
			keys, err := sopsvalues.KMSKeys(data)
			if err != nil {
				inv.notes = append(inv.notes, fmt.Sprintf("release %s: SOPS file %s: %v", r.Name, name, err))
				continue
			}
			if !fileSeen[name] {
				fileSeen[name] = true
				inv.sopsFiles++
			}
			for _, k := range keys {
				id := name + "\x00" + k.ARN + "\x00" + k.Role + "\x00" + k.Profile
				if i, ok := keyAt[id]; ok {
					if !slices.Contains(inv.keys[i].releases, r.Name) {
						inv.keys[i].releases = append(inv.keys[i].releases, r.Name)
					}
					continue
				}
				keyAt[id] = len(inv.keys)
				inv.keys = append(inv.keys, sopsKey{key: k, file: name, releases: []string{r.Name}})
			}
		}
		vals, err := values.Merge(plain)
		if err != nil {
			inv.notes = append(inv.notes, fmt.Sprintf("release %s: %v", r.Name, err))
			continue
		}
		for _, f := range secrets.Scan(vals) {
			if f.Err != nil {
				inv.notes = append(inv.notes, fmt.Sprintf("release %s: %s: malformed reference, left out (kaji validate says how to write it)", r.Name, f.Path))
				continue
			}
			raw := f.Ref.Raw
			if _, ok := inv.refWhere[raw]; !ok {
				inv.refs = append(inv.refs, f.Ref)
			}
			inv.refWhere[raw] = append(inv.refWhere[raw], fmt.Sprintf("release %s: %s", r.Name, f.Path))
		}
	}
	if inv.sopsFiles > 0 {
		inv.notes = append(inv.notes, fmt.Sprintf("%d SOPS file(s): doctor reads their keys, not their values; references inside them are not listed", inv.sopsFiles))
	}
	return inv
}

// labels lists what needs permissions, as secrets.Need.For names it: the references in the
// order first met, then the SOPS files.
func (inv secretInventory) labels() []string {
	var out []string
	for _, r := range inv.refs {
		out = append(out, r.Raw)
	}
	for _, k := range inv.keys {
		if !slices.Contains(out, k.label()) {
			out = append(out, k.label())
		}
	}
	return out
}

// describeUses says where a reference or a SOPS key is used.
func (inv secretInventory) describeUses(label string) string {
	if where, ok := inv.refWhere[label]; ok {
		return strings.Join(where, "; ")
	}
	var rels []string
	for _, k := range inv.keys {
		if k.label() == label {
			for _, r := range k.releases {
				if !slices.Contains(rels, r) {
					rels = append(rels, r)
				}
			}
		}
	}
	if len(rels) == 0 {
		return ""
	}
	return "release " + strings.Join(rels, ", ")
}
