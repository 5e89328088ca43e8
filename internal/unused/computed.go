package unused

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"
)

// Lookups by computed name. A template such as the common library's getValueFromKey splits a
// dotted key that its caller wrote as a string, and indexes the values with each part. The
// walk cannot tell the name, but it can tell which string literals the name may be built
// from: each value carries the literals it may come from (names), through variables, dicts,
// lists, ranges, functions and named templates. A lookup by such a name is a key of its own
// in the references, a computed segment that stands for the names that reach the lookup:
// what the templates do with the value found is recorded below it, as for any other key. A
// key that the user sets counts as read by a lookup only when those names spell it at the
// level where the lookup happens, not when the same string appears elsewhere in the
// templates.

// mergeNames returns the sorted union of two sorted sets of names.
func mergeNames(a, b []string) []string {
	switch {
	case len(b) == 0:
		return a
	case len(a) == 0:
		return b
	}
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// allNames returns the names of v and of the entries of the dicts it may be.
func (v aval) allNames() []string {
	out := v.names
	for _, k := range slices.Sorted(maps.Keys(v.dict)) {
		out = mergeNames(out, v.dict[k].allNames())
	}
	return out
}

// namesOf returns the names of all of args.
func namesOf(args []aval) []string {
	var out []string
	for _, a := range args {
		out = mergeNames(out, a.allNames())
	}
	return out
}

// computedPrefix starts the segments that stand for lookups by computed name; no key that a
// user writes starts with it.
const computedPrefix = "\x01"

// isComputed reports whether seg is a computed segment.
func isComputed(seg string) bool { return strings.HasPrefix(seg, computedPrefix) }

// hasComputed reports whether p holds a computed segment: a key whose value no configuration
// tells.
func hasComputed(p []string) bool { return slices.ContainsFunc(p, isComputed) }

// computedSegment returns the segment that stands for a lookup by a name built from names,
// the same for the same names.
func (w *walker) computedSegment(names []string) string {
	key := strings.Join(names, "\x00\x00")
	if seg, ok := w.segments[key]; ok {
		return seg
	}
	seg := computedPrefix + strconv.Itoa(len(w.segments))
	w.segments[key] = seg
	parts := make([][]string, len(names))
	for i, n := range names {
		parts[i] = strings.Split(n, ".")
	}
	w.idx.computed[seg] = parts
	return seg
}

// refPos is a node of the references that a path of the user's reaches. Below a computed
// segment, alive are the names (split at their dots) that the path has spelt so far, pos
// parts of each; a lookup that splits a name at its dots looks one part deeper at each
// level, each level a computed segment below the last.
type refPos struct {
	node  *refNode
	seg   string
	alive [][]string
	pos   int
}

// done reports whether a lookup may have stopped here: outside computed segments, or where a
// name that the path spelt ends.
func (st refPos) done() bool {
	if st.alive == nil {
		return true
	}
	return slices.ContainsFunc(st.alive, func(n []string) bool { return len(n) == st.pos })
}

// wholeBelow reports whether a template uses the key here with the child k.
func (st refPos) wholeBelow(k string) bool { return st.done() && st.node.wholeBelow(k) }

// step appends to out the positions below st that the key k reaches: its child k where a
// lookup may have stopped, and the computed segments whose names spell k at that level.
func (x *refIndex) step(st refPos, k string, out []refPos) []refPos {
	if c := st.node.kids[k]; c != nil && st.done() {
		out = append(out, refPos{node: c})
	}
	for seg, c := range st.node.kids {
		if !isComputed(seg) {
			continue
		}
		names, pos := x.computed[seg], 0
		if st.alive != nil && seg == st.seg {
			names, pos = st.alive, st.pos // the next part of the same names
		} else if !st.done() {
			continue
		}
		out = spell(out, c, seg, names, pos, k)
	}
	// A lookup in a range over the parts of a name shows as a computed segment below the
	// same one: the walk runs the body twice. The deepest of them stands for any further
	// level.
	if st.alive != nil && st.pos >= 2 && st.node.kids[st.seg] == nil {
		out = spell(out, st.node, st.seg, st.alive, st.pos, k)
	}
	return out
}

// spell appends the position at node c below the computed segment seg when some of names
// spell k as their part at pos.
func spell(out []refPos, c *refNode, seg string, names [][]string, pos int, k string) []refPos {
	var alive [][]string
	for _, n := range names {
		if pos < len(n) && (n[pos] == k || strings.Contains(n[pos], anyName)) {
			alive = append(alive, n)
		}
	}
	if alive == nil {
		return out
	}
	return append(out, refPos{node: c, seg: seg, alive: alive, pos: pos + 1})
}

// defineNames returns the string literals of the named template name and of the named
// templates it names in turn: what its output may be built from.
func (w *walker) defineNames(name string) []string {
	if out, ok := w.defNames[name]; ok {
		return out
	}
	lits := map[string]bool{}
	seen := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, t := range w.m.defines[n] {
			collectLiterals(t.Root, lits)
		}
		for l := range lits {
			if !seen[l] && len(w.m.defines[l]) > 0 {
				seen[l] = true
				queue = append(queue, l)
			}
		}
	}
	out := slices.Sorted(maps.Keys(lits))
	w.defNames[name] = out
	return out
}

// anyName stands in a printed name for an argument whose names are not known: it matches any
// segment.
const anyName = "\x00"

// maxPrinted bounds the names computed for one print or printf.
const maxPrinted = 64

// printedNames returns the names that print or printf of args may output: the output for each
// combination of the arguments' names, anyName for an argument without names. When there
// are too many, or the format is not a literal, it is the names of all arguments.
func printedNames(fn string, args []aval) []string {
	start := 0
	if fn == "printf" {
		if len(args) == 0 {
			return nil
		}
		if _, ok := args[0].str(); !ok {
			return namesOf(args)
		}
		start = 1
	}
	combos := [][]any{nil}
	for _, a := range args[start:] {
		var alts []any
		if l, ok := a.literal(); ok {
			alts = []any{l}
		} else {
			for _, n := range a.allNames() {
				alts = append(alts, n)
			}
		}
		if len(alts) == 0 {
			alts = []any{anyName}
		}
		if len(combos)*len(alts) > maxPrinted {
			return namesOf(args)
		}
		var next [][]any
		for _, c := range combos {
			for _, alt := range alts {
				next = append(next, append(slices.Clip(c), alt))
			}
		}
		combos = next
	}
	set := map[string]bool{}
	for _, c := range combos {
		if fn == "printf" {
			format, _ := args[0].str()
			set[fmt.Sprintf(format, c...)] = true
		} else {
			set[fmt.Sprint(c...)] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// collectLiterals adds the string literals below n to lits.
func collectLiterals(n parse.Node, lits map[string]bool) {
	switch n := n.(type) {
	case *parse.StringNode:
		lits[n.Text] = true
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				collectLiterals(c, lits)
			}
		}
	case *parse.ActionNode:
		collectLiterals(n.Pipe, lits)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				collectLiterals(c, lits)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectLiterals(a, lits)
		}
	case *parse.ChainNode:
		collectLiterals(n.Node, lits)
	case *parse.IfNode:
		collectBranch(&n.BranchNode, lits)
	case *parse.WithNode:
		collectBranch(&n.BranchNode, lits)
	case *parse.RangeNode:
		collectBranch(&n.BranchNode, lits)
	case *parse.TemplateNode:
		lits[n.Name] = true
		collectLiterals(n.Pipe, lits)
	}
}

func collectBranch(b *parse.BranchNode, lits map[string]bool) {
	collectLiterals(b.Pipe, lits)
	collectLiterals(b.List, lits)
	if b.ElseList != nil {
		collectLiterals(b.ElseList, lits)
	}
}
