package chartlock

import (
	"errors"
	"fmt"
	"testing"
)

// A run of a selection needs kaji.lock to pin the releases selected, and no other: those
// outside load at their pin when kaji.lock has one that serves them, else as kaji.yaml says,
// and --lock=update pins none of them.
func TestWithinCoversTheSelection(t *testing.T) {
	r := newChartRepo(t)
	d100 := r.publish(t, "app", "1.0.0", "one")
	r.publish(t, "app", "1.0.1", "newer")
	text := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: shop
repositories:
  stable: %s
releases:
  - name: api
    namespace: apps
    chart: stable/app
    version: "~1.0"
  - name: web
    namespace: apps
    chart: stable/app
    version: "~1.0"
  - name: admin
    namespace: apps
    chart: stable/app
    version: "~1.0"
`, r.url())
	pin := func(name string) Entry {
		return Entry{Release: name, Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100}
	}
	doc := project(t, text, lockOf(t, pin("api"), pin("admin")))
	for _, mode := range []Mode{ModeAuto, ModeUpdate} {
		l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		var stale *StaleError
		if _, err := l.Pin(t.Context(), release(t, doc, "", "web")); mode == ModeAuto && !errors.As(err, &stale) {
			t.Fatalf("%s: the whole project's Locker pins web, which kaji.lock lacks: %v", mode, err)
		}
		l, err = Open(doc, Options{Loader: newLoader(t, doc), Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		w := l.Within([]string{"api"})
		for name, want := range map[string]string{"api": "1.0.0", "admin": "1.0.0", "web": "1.0.1"} {
			got, err := w.Load(t.Context(), release(t, doc, "", name))
			if err != nil || got.Version != want {
				t.Errorf("%s: Within(api) loads %s: %v, %v; want %s", mode, name, got, err, want)
			}
		}
		if p, err := w.Pin(t.Context(), release(t, doc, "", "web")); p != nil || err != nil {
			t.Errorf("%s: Within(api) pins web: %v, %v; want no pin and no error", mode, p, err)
		}
		if changes, err := l.Save(); len(changes) != 0 || err != nil {
			t.Errorf("%s: Save after a run of api = %v, %v; want nothing written", mode, changes, err)
		}
	}
}
