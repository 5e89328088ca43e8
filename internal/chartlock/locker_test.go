package chartlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/chart"
)

// kajiYAML is a project with api from the repository at url (version constraint api, prod's
// override prod) and a local chart.
func kajiYAML(url, api, prod string) string {
	s := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: shop
repositories:
  stable: %s
releases:
  - name: api
    namespace: apps
    chart: stable/app
    version: %q
  - name: local
    namespace: apps
    chart: ./charts/local
environments:
  test: {}
`, url, api)
	if prod != "" {
		s += fmt.Sprintf("  prod:\n    releases:\n      api:\n        version: %q\n", prod)
	}
	return s
}

func lockOf(t *testing.T, entries ...Entry) string {
	t.Helper()
	data, err := (&File{Entries: entries}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestLockerLoadsThePinnedVersion(t *testing.T) {
	r := newChartRepo(t)
	d100 := r.publish(t, "app", "1.0.0", "one")
	r.publish(t, "app", "1.0.1", "newer") // admitted by ~1.0, but not pinned
	pinned := Entry{Release: "api", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100}
	doc := project(t, kajiYAML(r.url(), "~1.0", ""), lockOf(t, pinned))
	l, err := Open(doc, Options{Loader: newLoader(t, doc)})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Exists() {
		t.Fatal("kaji.lock was not found")
	}
	got, err := l.Load(t.Context(), release(t, doc, "", "api"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "1.0.0" || got.Digest != d100 {
		t.Errorf("loaded %s %s, want the pinned 1.0.0 %s", got.Version, got.Digest, d100)
	}
	// An environment without an entry of its own uses the base entry.
	if got, err := l.Load(t.Context(), release(t, doc, "test", "api")); err != nil || got.Version != "1.0.0" {
		t.Errorf("test environment: %v, %v", got, err)
	}
	if p, err := l.Pin(t.Context(), release(t, doc, "", "local")); p != nil || err != nil {
		t.Errorf("a local chart is pinned: %v, %v", p, err)
	}
	if changes, err := l.Save(); changes != nil || err != nil {
		t.Errorf("Save in auto mode = %v, %v; want nothing", changes, err)
	}
}

func TestLockerRefusesARepublishedChart(t *testing.T) {
	r := newChartRepo(t)
	d100 := r.publish(t, "app", "1.0.0", "one")
	doc := project(t, kajiYAML(r.url(), "~1.0", ""), lockOf(t, Entry{Release: "api", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100}))
	again := r.publish(t, "app", "1.0.0", "published again")
	l, err := Open(doc, Options{Loader: newLoader(t, doc)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Load(t.Context(), release(t, doc, "", "api"))
	var pm *chart.PinMismatchError
	if !errors.As(err, &pm) || pm.Pinned != d100 || pm.Got != again {
		t.Fatalf("err = %v, want *chart.PinMismatchError pinned %s, got %s", err, d100, again)
	}
	if !strings.Contains(err.Error(), "run kaji lock api") {
		t.Errorf("error does not name the command that accepts it: %v", err)
	}
}

func TestLockerStaleReleases(t *testing.T) {
	r := newChartRepo(t)
	d100 := r.publish(t, "app", "1.0.0", "one")
	r.publish(t, "app", "1.1.0", "two")
	base := Entry{Release: "api", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100}
	moved := base
	moved.Repository = "https://elsewhere.example.com/charts"

	tests := []struct {
		name, constraint, env string
		entries               []Entry
		mode                  Mode
		want                  []string
	}{
		{"constraint no longer admits", "~1.1", "", []Entry{base}, ModeAuto,
			[]string{`release api: kaji.lock pins version 1.0.0, which version "~1.1" in kaji.yaml does not admit`, "run kaji lock api to pin it, or pass --lock=update"}},
		{"missing release", "~1.0", "", []Entry{{Release: "other", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100}}, ModeAuto,
			[]string{"release api is not in kaji.lock (run kaji lock api"}},
		{"another repository", "~1.0", "", []Entry{moved}, ModeAuto,
			[]string{"kaji.lock pins chart app of https://elsewhere.example.com/charts, but kaji.yaml now names chart app of " + r.url()}},
		{"environment", "~1.1", "test", []Entry{base}, ModeAuto,
			[]string{"release api (environment test): kaji.lock pins version 1.0.0"}},
		{"read-only", "~1.1", "", []Entry{base}, ModeReadonly,
			[]string{"kaji.lock is read-only here: run kaji lock api where it may change, and commit kaji.lock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := project(t, kajiYAML(r.url(), tt.constraint, ""), lockOf(t, tt.entries...))
			l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: tt.mode, Environment: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Load(t.Context(), release(t, doc, tt.env, "api"))
			var stale *StaleError
			if !errors.As(err, &stale) {
				t.Fatalf("err = %v, want *StaleError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLockerUpdate(t *testing.T) {
	r := newChartRepo(t)
	d100 := r.publish(t, "app", "1.0.0", "one")
	d110 := r.publish(t, "app", "1.1.0", "two")
	d200 := r.publish(t, "app", "2.0.0", "three")
	base := Entry{Release: "api", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100}

	t.Run("stale base entry", func(t *testing.T) {
		doc := project(t, kajiYAML(r.url(), "~1.1", ""), lockOf(t, base))
		l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: ModeUpdate, Environment: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Load(t.Context(), release(t, doc, "test", "api"))
		if err != nil || got.Version != "1.1.0" {
			t.Fatalf("loaded %v, %v; want 1.1.0", got, err)
		}
		changes, err := l.Save()
		if err != nil {
			t.Fatal(err)
		}
		// test resolves api as the base does: the base entry is updated, not a test entry added.
		if len(changes) != 1 || changes[0].Key != (Key{"api", ""}) || changes[0].New.Version != "1.1.0" || changes[0].New.Digest != d110 {
			t.Fatalf("changes = %+v, want the base entry at 1.1.0", changes)
		}
		f, err := Read(l.Path())
		if err != nil || len(f.Entries) != 1 || f.Entries[0] != *changes[0].New {
			t.Errorf("kaji.lock holds %+v, %v", f, err)
		}
		if again, err := l.Save(); again != nil || err != nil {
			t.Errorf("a second Save = %v, %v; want nothing", again, err)
		}
	})
	t.Run("other environments keep their pins", func(t *testing.T) {
		// prod admits the old base pin but not the new one: it keeps the old as its own.
		doc := project(t, kajiYAML(r.url(), "~1.1", ">=1.0.0 <1.1.0"), lockOf(t, base))
		l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: ModeUpdate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Load(t.Context(), release(t, doc, "", "api")); err != nil {
			t.Fatal(err)
		}
		changes, err := l.Save()
		if err != nil {
			t.Fatal(err)
		}
		kept := base
		kept.Environment = "prod"
		if len(changes) != 2 || changes[0].New.Version != "1.1.0" || changes[1].Old != nil || *changes[1].New != kept {
			t.Fatalf("changes = %+v, want the base at 1.1.0 and prod kept at 1.0.0 (test shares the base)", changes)
		}
	})
	t.Run("environment with its own version", func(t *testing.T) {
		doc := project(t, kajiYAML(r.url(), "~1.0", "^2"), lockOf(t, base))
		l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: ModeUpdate, Environment: "prod"})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := l.Load(t.Context(), release(t, doc, "prod", "api")); err != nil || got.Version != "2.0.0" {
			t.Fatalf("loaded %v, %v; want 2.0.0", got, err)
		}
		changes, err := l.Save()
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Key != (Key{"api", "prod"}) || changes[0].Old != nil || changes[0].New.Digest != d200 {
			t.Fatalf("changes = %+v, want a new prod entry", changes)
		}
	})
	t.Run("no kaji.lock", func(t *testing.T) {
		doc := project(t, kajiYAML(r.url(), "", ""), "")
		l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: ModeUpdate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Load(t.Context(), release(t, doc, "", "api")); err != nil {
			t.Fatal(err)
		}
		changes, err := l.Save()
		if err != nil || len(changes) != 1 || changes[0].New.Version != "2.0.0" {
			t.Fatalf("Save = %+v, %v; want kaji.lock written with api 2.0.0", changes, err)
		}
		if _, err := os.Stat(l.Path()); err != nil {
			t.Errorf("kaji.lock was not written: %v", err)
		}
	})
}

func TestLockerWithoutKajiLock(t *testing.T) {
	r := newChartRepo(t)
	r.publish(t, "app", "1.0.0", "one")
	r.publish(t, "app", "1.0.1", "newer")
	doc := project(t, kajiYAML(r.url(), "~1.0", ""), "")
	for _, mode := range []Mode{ModeAuto, ModeReadonly} {
		l, err := Open(doc, Options{Loader: newLoader(t, doc), Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Load(t.Context(), release(t, doc, "", "api"))
		if err != nil || got.Version != "1.0.1" {
			t.Fatalf("%s: loaded %v, %v; want the newest 1.0.1, unpinned", mode, got, err)
		}
		if _, err := l.Load(t.Context(), release(t, doc, "", "local")); err != nil {
			t.Fatal(err)
		}
		if l.Exists() || l.Unpinned() != 1 {
			t.Errorf("%s: Exists %v, Unpinned %d; want false, 1 (the local chart does not count)", mode, l.Exists(), l.Unpinned())
		}
		if changes, err := l.Save(); changes != nil || err != nil {
			t.Errorf("%s: Save = %v, %v", mode, changes, err)
		}
		if _, err := os.Stat(l.Path()); err == nil {
			t.Fatalf("%s: kaji.lock was written", mode)
		}
	}
}

func TestOpenReportsAMalformedLock(t *testing.T) {
	doc := project(t, kajiYAML("https://charts.example.com", "", ""), "apiVersion: kaji.dev/lock/v1\nreleases: [\n")
	_, err := Open(doc, Options{Loader: newLoader(t, doc)})
	if _, ok := err.(Problems); !ok || !strings.Contains(err.Error(), "kaji.lock") {
		t.Fatalf("err = %v, want Problems naming kaji.lock", err)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes {
		if got, err := ParseMode(string(m)); got != m || err != nil {
			t.Errorf("ParseMode(%s) = %s, %v", m, got, err)
		}
	}
	if _, err := ParseMode("write"); err == nil || !strings.Contains(err.Error(), "use auto, readonly or update") {
		t.Errorf("ParseMode(write) = %v", err)
	}
}

// A run loads each chart once: its repository's index is fetched once, a constraint resolves
// to one version for every caller (validation, plan, apply), and each caller gets a chart of
// its own to process. The next run resolves again.
func TestLockerLoadsEachChartOncePerRun(t *testing.T) {
	r := newChartRepo(t)
	r.publish(t, "app", "1.0.0", "one")
	doc := project(t, kajiYAML(r.url(), "~1.0", ""), "")
	l, err := Open(doc, Options{Loader: newLoader(t, doc)})
	if err != nil {
		t.Fatal(err)
	}
	api := release(t, doc, "", "api")
	first, err := l.Load(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	index := r.repo.Requests("/index.yaml")
	r.publish(t, "app", "1.0.1", "newer")
	second, err := l.Load(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	if second.Version != "1.0.0" {
		t.Errorf("second load of the run: %s, want 1.0.0 as the first", second.Version)
	}
	if n := r.repo.Requests("/index.yaml"); n != index || n != 1 {
		t.Errorf("index fetched %d times in the run (%d after the first load), want once", n, index)
	}
	first.Chart.Values["greeting"] = "changed by the first caller"
	first.Chart.Metadata.Version = "9.9.9"
	if second.Chart.Values["greeting"] != "one" || second.Chart.Metadata.Version != "1.0.0" {
		t.Errorf("a caller's change shows in another's chart: greeting %v, version %s", second.Chart.Values["greeting"], second.Chart.Metadata.Version)
	}
	// A local chart is read once too: a change made during the run shows in the next.
	local := release(t, doc, "", "local")
	if got, err := l.Load(t.Context(), local); err != nil || got.Version != "0.1.0" {
		t.Fatalf("local chart: %v, %v; want 0.1.0", got, err)
	}
	chartYAML := filepath.Join(doc.Dir, "charts", "local", "Chart.yaml")
	if err := os.WriteFile(chartYAML, []byte("apiVersion: v2\nname: local\nversion: 0.2.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Load(t.Context(), local); err != nil || got.Version != "0.1.0" {
		t.Errorf("local chart loaded again in the run: %v, %v; want 0.1.0, read once", got, err)
	}
	next, err := Open(doc, Options{Loader: newLoader(t, doc)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := next.Load(t.Context(), api); err != nil || got.Version != "1.0.1" {
		t.Errorf("next run: %v, %v; want 1.0.1", got, err)
	}
	if got, err := next.Load(t.Context(), local); err != nil || got.Version != "0.2.0" {
		t.Errorf("next run, local chart: %v, %v; want 0.2.0", got, err)
	}
}
