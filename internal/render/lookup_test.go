package render

import (
	"errors"
	"testing"
)

func secret(rv, password string) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "db", "namespace": "ns", "resourceVersion": rv,
			"managedFields": []any{map[string]any{"manager": "helm", "time": rv}}},
		"data": map[string]any{"password": password},
	}
}

// A write that changes nothing but the resourceVersion and managedFields leaves the digest
// alone; any change of what a template can read moves it.
func TestLookupDigestIgnoresOnlyWhatEveryWriteChanges(t *testing.T) {
	base := LookupDigest(secret("1", "a"))
	if got := LookupDigest(secret("2", "a")); got != base {
		t.Errorf("digest moved with the resourceVersion alone: %s then %s", base, got)
	}
	if got := LookupDigest(secret("1", "b")); got == base {
		t.Errorf("digest did not move with the data")
	}
	if LookupDigest(map[string]any{}) == base {
		t.Errorf("an empty answer (not found) has the digest of an object")
	}
	list := func(rv, password string) map[string]any {
		return map[string]any{"kind": "SecretList", "metadata": map[string]any{"resourceVersion": rv},
			"items": []any{secret(rv, password)}}
	}
	if LookupDigest(list("1", "a")) != LookupDigest(list("7", "a")) {
		t.Errorf("digest of a list moved with resourceVersions alone")
	}
	if LookupDigest(list("1", "a")) == LookupDigest(list("1", "b")) {
		t.Errorf("digest of a list did not move with an item's data")
	}
	s := secret("1", "a")
	LookupDigest(s)
	if s["metadata"].(map[string]any)["resourceVersion"] != "1" {
		t.Errorf("LookupDigest changed the answer it was given")
	}
}

// The calls recorded describe a render only when each answered, and answered the same way
// each time it was made.
func TestLookupsDescribeARenderOnlyWhenEveryCallAnsweredAlike(t *testing.T) {
	answers := map[string]map[string]any{"db": secret("1", "a")}
	var failWith error
	lookup := func(_, _, _, name string) (map[string]any, error) { return answers[name], failWith }

	var l Lookups
	rec := l.recording(lookup)
	for range 2 {
		if _, err := rec("v1", "Secret", "ns", "db"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rec("v1", "Secret", "ns", "none"); err != nil {
		t.Fatal(err)
	}
	calls, ok := l.Calls()
	if !ok || len(calls) != 2 || calls[0].Name != "db" || calls[1].Name != "none" || calls[0].Digest != LookupDigest(secret("1", "a")) {
		t.Fatalf("calls %+v, %v; want db then none, each once", calls, ok)
	}

	answers["db"] = secret("2", "changed")
	rec("v1", "Secret", "ns", "db")
	if _, ok := l.Calls(); ok {
		t.Errorf("a call that answered otherwise the second time still describes the render")
	}

	var failed Lookups
	failWith = errors.New("forbidden")
	failed.recording(lookup)("v1", "Secret", "ns", "db")
	if _, ok := failed.Calls(); ok {
		t.Errorf("a failed call still describes the render")
	}
}
