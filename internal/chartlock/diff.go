package chartlock

// Change is one entry of kaji.lock that differs between two versions of the file.
type Change struct {
	Key Key
	// Old is the entry before, nil when it is added; New is the entry after, nil when it is
	// removed.
	Old, New *Entry
}

// Diff returns the entries that differ between old and new, sorted by key. Either may be nil,
// for a file that does not exist.
func Diff(old, new *File) []Change {
	a, b := old.Clone(), new.Clone()
	a.sort()
	b.sort()
	var out []Change
	i, j := 0, 0
	for i < len(a.Entries) || j < len(b.Entries) {
		switch {
		case j == len(b.Entries) || (i < len(a.Entries) && compareKeys(a.Entries[i].Key(), b.Entries[j].Key()) < 0):
			out = append(out, Change{Key: a.Entries[i].Key(), Old: &a.Entries[i]})
			i++
		case i == len(a.Entries) || compareKeys(a.Entries[i].Key(), b.Entries[j].Key()) > 0:
			out = append(out, Change{Key: b.Entries[j].Key(), New: &b.Entries[j]})
			j++
		default:
			if a.Entries[i] != b.Entries[j] {
				out = append(out, Change{Key: a.Entries[i].Key(), Old: &a.Entries[i], New: &b.Entries[j]})
			}
			i++
			j++
		}
	}
	return out
}
