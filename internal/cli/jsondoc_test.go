package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The JSON documents of kaji plan and kaji status are checked against docs/plan-json.md, the
// page their consumers read, not against the Go types that write them: every key of the output
// must be documented in the table of its object, and every key the page marks "Always: yes"
// must be there.

// docTable is the key table of one object on the page.
type docTable struct {
	// keys maps each documented key to whether the page says it is always present.
	keys map[string]bool
	// within maps a key to the backquoted words of its meaning: the keys of a nested object
	// that the page lists in prose (current, lock, hooks).
	within map[string][]string
}

var backquoted = regexp.MustCompile("`([^`]+)`")

// readDocTables reads the key tables of docs/plan-json.md, by "section/heading": "plan/Document",
// "plan/`summary`", "plan/Release", "plan/Change (one object)", "plan/Field", "status/".
func readDocTables(t *testing.T) map[string]*docTable {
	t.Helper()
	raw, err := os.ReadFile("../../docs/plan-json.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]*docTable{}
	var section, heading string
	var header []string
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "## "):
			section, heading, header = "plan", "", nil
			if strings.Contains(line, "status") {
				section = "status"
			}
			continue
		case strings.HasPrefix(line, "### "):
			heading, header = strings.TrimPrefix(line, "### "), nil
			continue
		case !strings.HasPrefix(line, "|"):
			header = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if header == nil {
			header = cells
			continue
		}
		if header[0] != "Key" || strings.HasPrefix(cells[0], "---") {
			continue // a table of values (states), or the separator row
		}
		key := section + "/" + heading
		tb := tables[key]
		if tb == nil {
			tb = &docTable{keys: map[string]bool{}, within: map[string][]string{}}
			tables[key] = tb
		}
		always := true // a table without an Always column lists keys that are always there
		if i := slices.Index(header, "Always"); i >= 0 {
			always = strings.HasPrefix(cells[i], "yes")
		}
		var inner []string
		for _, m := range backquoted.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			inner = append(inner, m[1])
		}
		prefix := ""
		for _, m := range backquoted.FindAllStringSubmatch(cells[0], -1) {
			name := m[1]
			// status writes "releases[].name, .namespace": the prefix carries over.
			if p, rest, ok := strings.Cut(name, "[]."); ok {
				prefix, name = p+"[].", rest
			} else if strings.HasPrefix(name, ".") {
				name = name[1:]
			} else {
				prefix = ""
			}
			tb.keys[prefix+name] = always
			tb.within[prefix+name] = inner
		}
	}
	for _, want := range []string{"plan/Document", "plan/`summary`", "plan/Release", "plan/Change (one object)", "plan/Field", "status/"} {
		if tables[want] == nil || len(tables[want].keys) == 0 {
			t.Fatalf("docs/plan-json.md has no key table for %s (found %v)", want, slices.Sorted(mapKeys(tables)))
		}
	}
	return tables
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkObject reports the keys of obj that tb does not document under prefix, and the keys it
// says are always there that obj lacks. Nested objects named in prose are checked one level.
func checkObject(t *testing.T, where string, obj map[string]any, tb *docTable, prefix string) {
	t.Helper()
	for k, v := range obj {
		if _, ok := tb.keys[prefix+k]; !ok {
			t.Errorf("%s: key %q is not documented in docs/plan-json.md", where, k)
			continue
		}
		inner := tb.within[prefix+k]
		var nested []map[string]any
		switch v := v.(type) {
		case map[string]any:
			if k != "planned" && k != "summary" { // a Kubernetes object; a table of its own
				nested = append(nested, v)
			}
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok && (k == "hooks") {
					nested = append(nested, m)
				}
			}
		}
		for _, n := range nested {
			for nk := range n {
				if !slices.Contains(inner, nk) {
					t.Errorf("%s.%s: key %q is not documented in docs/plan-json.md (documented: %v)", where, k, nk, inner)
				}
			}
		}
	}
	for k, always := range tb.keys {
		name, ok := strings.CutPrefix(k, prefix)
		if !ok || strings.Contains(name, ".") {
			continue
		}
		if _, there := obj[name]; always && !there {
			t.Errorf("%s: key %q, documented as always present, is missing", where, name)
		}
	}
}

// checkPlanDocument checks a kaji plan -o json document against the page, and returns it.
func checkPlanDocument(t *testing.T, out string) map[string]any {
	t.Helper()
	tables := readDocTables(t)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan -o json is not one JSON object: %v\n%s", err, out)
	}
	checkObject(t, "plan", doc, tables["plan/Document"], "")
	summary, _ := doc["summary"].(map[string]any)
	checkObject(t, "plan.summary", summary, tables["plan/`summary`"], "")
	releases, _ := doc["releases"].([]any)
	for i, r := range releases {
		rel, _ := r.(map[string]any)
		where := fmt.Sprintf("plan.releases[%d] (%v)", i, rel["name"])
		checkObject(t, where, rel, tables["plan/Release"], "")
		changes, _ := rel["changes"].([]any)
		for j, c := range changes {
			ch, _ := c.(map[string]any)
			cw := fmt.Sprintf("%s.changes[%d]", where, j)
			change := tables["plan/Change (one object)"]
			if _, scoped := ch["namespace"]; !scoped {
				change = without(change, "namespace") // "not for cluster-scoped objects"
			}
			checkObject(t, cw, ch, change, "")
			for _, list := range []string{"diff", "drift"} {
				fields, _ := ch[list].([]any)
				for k, f := range fields {
					fm, _ := f.(map[string]any)
					checkObject(t, fmt.Sprintf("%s.%s[%d]", cw, list, k), fm, tables["plan/Field"], "")
				}
			}
		}
	}
	return doc
}

// checkStatusDocument checks a kaji status -o json document against the page.
func checkStatusDocument(t *testing.T, out string) map[string]any {
	t.Helper()
	tables := readDocTables(t)
	tb, plan := tables["status/"], tables["plan/Document"]
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status -o json is not one JSON object: %v\n%s", err, out)
	}
	top := &docTable{keys: map[string]bool{"releases": true}, within: tb.within}
	for k, always := range tb.keys {
		if !strings.Contains(k, "[]") {
			if inPlan, ok := plan.keys[k]; ok {
				always = inPlan // "as in the plan"
			}
			top.keys[k] = always
		}
	}
	checkObject(t, "status", doc, top, "")
	releases, _ := doc["releases"].([]any)
	for i, r := range releases {
		rel, _ := r.(map[string]any)
		checkObject(t, fmt.Sprintf("status.releases[%d]", i), rel, tb, "releases[].")
	}
	return doc
}

func without(tb *docTable, key string) *docTable {
	out := &docTable{keys: map[string]bool{}, within: tb.within}
	for k, v := range tb.keys {
		out.keys[k] = v && k != key
	}
	return out
}
