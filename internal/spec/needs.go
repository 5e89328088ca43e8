package spec

import (
	"fmt"
	"strings"
)

// validateNeeds checks that every release a release needs exists, is not itself, is listed once,
// and that needs form no cycle.
func (v *validator) validateNeeds() {
	index := releaseIndex(v.file.Releases)
	names := make([]string, len(v.file.Releases))
	for i, r := range v.file.Releases {
		names[i] = r.Name
	}
	// edges[i] holds, for each valid need of release i, the needed release and the need's position.
	edges := make([][]edge, len(v.file.Releases))
	for i, r := range v.file.Releases {
		seen := map[string]bool{}
		for j, need := range r.Needs {
			p := path{"releases", i, "needs", j}
			target, exists := index[need]
			switch {
			case need == "":
				v.add(p, "empty release name in needs", "")
			case need == r.Name:
				v.add(p, fmt.Sprintf("release %q needs itself", need), "remove it from needs")
			case seen[need]:
				v.add(p, fmt.Sprintf("release %q is listed twice in needs", need), "remove the second one")
			case !exists:
				hint := didYouMean(need, without(names, r.Name))
				if hint == "" {
					hint = "needs lists names of releases in this file"
				}
				v.add(p, fmt.Sprintf("release %q not found", need), hint)
			default:
				edges[i] = append(edges[i], edge{to: target, need: j})
			}
			seen[need] = true
		}
	}
	for _, c := range findCycles(edges) {
		chain := make([]string, 0, len(c)+1)
		for _, e := range c {
			chain = append(chain, v.file.Releases[e.from].Name)
		}
		chain = append(chain, chain[0])
		last := c[len(c)-1]
		v.add(path{"releases", last.from, "needs", last.need},
			"dependency cycle: "+strings.Join(chain, " → "), "remove one of these needs")
	}
}

// edge says that release from needs release to, through its needs entry number need.
type edge struct {
	from, to, need int
}

// findCycles returns the cycles that a depth-first search over the releases, in file order,
// closes; each is the list of edges from a release around and back to it. Every edge that closes
// a cycle yields one, so the result is deterministic and each cycle shows up at least once.
func findCycles(edges [][]edge) [][]edge {
	const (
		unvisited = iota
		active
		done
	)
	state := make([]int, len(edges))
	var trail []int // the active releases, outermost first
	var via []edge  // via[k] leads from trail[k] to trail[k+1]
	var cycles [][]edge
	var visit func(int)
	visit = func(n int) {
		state[n] = active
		trail = append(trail, n)
		for _, e := range edges[n] {
			e.from = n
			switch state[e.to] {
			case unvisited:
				via = append(via, e)
				visit(e.to)
				via = via[:len(via)-1]
			case active:
				k := len(trail) - 1
				for trail[k] != e.to {
					k--
				}
				cycles = append(cycles, append(append([]edge{}, via[k:]...), e))
			}
		}
		trail = trail[:len(trail)-1]
		state[n] = done
	}
	for n := range edges {
		if state[n] == unvisited {
			visit(n)
		}
	}
	return cycles
}

// releaseIndex maps release names to their index; for duplicate names, the first wins.
func releaseIndex(releases []Release) map[string]int {
	index := make(map[string]int, len(releases))
	for i, r := range releases {
		if _, dup := index[r.Name]; !dup && r.Name != "" {
			index[r.Name] = i
		}
	}
	return index
}

func without(names []string, name string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// dependencyOrder returns the indexes of releases so that every release comes after those it
// needs, keeping file order among releases that have no order between them (Kahn's algorithm,
// always taking the earliest ready release). It requires needs to be valid and acyclic.
func dependencyOrder(releases []Release) []int {
	index := releaseIndex(releases)
	waiting := make([]int, len(releases))    // needs not yet placed, per release
	neededBy := make([][]int, len(releases)) // releases that need each release
	for i, r := range releases {
		for _, need := range r.Needs {
			if j, ok := index[need]; ok && j != i {
				waiting[i]++
				neededBy[j] = append(neededBy[j], i)
			}
		}
	}
	placed := make([]bool, len(releases))
	order := make([]int, 0, len(releases))
	for len(order) < len(releases) {
		next := -1
		for i := range releases {
			if !placed[i] && waiting[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			break // a cycle; validation rejects those before this runs
		}
		placed[next] = true
		order = append(order, next)
		for _, i := range neededBy[next] {
			waiting[i]--
		}
	}
	return order
}
