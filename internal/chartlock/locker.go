package chartlock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
)

// Mode says what a run may do with kaji.lock.
type Mode string

const (
	// ModeAuto loads what kaji.lock pins when the project has one; a release it does not pin
	// as kaji.yaml asks is an error. Only kaji lock writes the file. The default.
	ModeAuto Mode = "auto"
	// ModeReadonly is ModeAuto where kaji.lock may not change at all: kaji lock refuses to
	// write it. The default when the CI environment variable is set.
	ModeReadonly Mode = "readonly"
	// ModeUpdate resolves anew each release that kaji.lock does not pin as kaji.yaml asks,
	// and writes the new pins (the file too, when there is none).
	ModeUpdate Mode = "update"
)

// Modes are the modes, in the order --help lists them.
var Modes = []Mode{ModeAuto, ModeReadonly, ModeUpdate}

// ParseMode returns the mode named s.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown lock mode %q: use auto, readonly or update", s)
}

// Options configure a Locker.
type Options struct {
	// Mode is what the run may do with kaji.lock; empty means ModeAuto.
	Mode Mode
	// Environment is the run's environment (--env), empty for none.
	Environment string
	// Loader loads the charts.
	Loader *chart.Loader
}

// Locker pins the releases of one run to what kaji.lock says, and in ModeUpdate records new
// pins for Save to write. It is the one place where validate, plan and apply learn which chart
// a release loads, so that they cannot disagree. It is safe for concurrent use.
type Locker struct {
	path string
	doc  *spec.Document
	opts Options

	mu sync.Mutex
	// read is kaji.lock as read; nil when the project has none.
	read *File
	// cur is read with the run's new pins; nil when the project has none and the mode does
	// not write one.
	cur *File
	// unpinned are the releases of remote charts loaded without a pin, because the project
	// has no kaji.lock.
	unpinned map[string]bool

	// loads are the charts loaded in this run, by chart, version and pin: each once.
	loads map[loadKey]*chart.Loaded

	envsOnce sync.Once
	// envs holds the releases of every environment ("" for none) by name, for ModeUpdate.
	envs map[string]map[string]spec.ResolvedRelease
}

// Open reads the kaji.lock beside the kaji.yaml of doc (a project without one is unlocked).
func Open(doc *spec.Document, opts Options) (*Locker, error) {
	if opts.Mode == "" {
		opts.Mode = ModeAuto
	}
	if opts.Loader == nil {
		return nil, errors.New("a Locker needs a chart loader")
	}
	path := PathFor(doc.Dir)
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	l := &Locker{path: path, doc: doc, opts: opts, read: f, unpinned: map[string]bool{}}
	if f != nil || opts.Mode == ModeUpdate {
		l.cur = f.Clone()
	}
	return l, nil
}

// Path is the path of kaji.lock.
func (l *Locker) Path() string { return l.path }

// Exists reports whether the project had a kaji.lock when the Locker opened it.
func (l *Locker) Exists() bool { return l.read != nil }

// Unpinned returns how many releases of remote charts were loaded without a pin because the
// project has no kaji.lock.
func (l *Locker) Unpinned() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.unpinned)
}

// Pin returns the pin release r loads, or nil when it loads the version kaji.yaml gives: a
// local chart, or a project without kaji.lock. A release that kaji.lock does not pin as
// kaji.yaml asks is a *StaleError, except in ModeUpdate, which resolves it anew and records
// the new pin.
func (l *Locker) Pin(ctx context.Context, r spec.ResolvedRelease) (*chart.Pin, error) {
	if r.ChartKind == spec.ChartLocal {
		return nil, nil
	}
	loc, err := l.opts.Loader.Locate(r.Chart)
	if err != nil {
		return nil, nil // loading the chart reports it
	}
	key := Key{Release: r.Name, Environment: l.opts.Environment}
	l.mu.Lock()
	if l.cur == nil {
		l.unpinned[r.Name] = true
		l.mu.Unlock()
		return nil, nil
	}
	e, found := lookup(l.cur, key)
	l.mu.Unlock()
	if found && serves(e, loc, r.Version) == "" {
		p := e.Pin()
		return &p, nil
	}
	if l.opts.Mode != ModeUpdate {
		stale := &StaleError{Key: key, Chart: r.Chart, Version: r.Version, Readonly: l.opts.Mode == ModeReadonly}
		if found {
			stale.Entry = &e
			stale.Reason = serves(e, loc, r.Version)
		}
		return nil, stale
	}
	loaded, err := l.opts.Loader.Load(ctx, r.Chart, r.Version)
	if err != nil {
		return nil, err
	}
	key.Environment = l.entryEnvironment(r)
	n := newEntry(key, loc, loaded)
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.cur.Get(key); ok && key.Environment == "" {
		l.keepOtherEnvironments(old, n)
	}
	l.cur.Set(n)
	if key.Environment == "" && l.opts.Environment != "" {
		l.cur.Delete(Key{Release: r.Name, Environment: l.opts.Environment})
	}
	p := n.Pin()
	return &p, nil
}

// keepOtherEnvironments gives each other environment that the base entry old served, and that
// its replacement n does not, an entry of its own with old's pin: --lock=update changes the
// pins of the run's environment alone. l.mu is held.
func (l *Locker) keepOtherEnvironments(old, n Entry) {
	for env, releases := range l.environments() {
		r, ok := releases[old.Release]
		if env == "" || env == l.opts.Environment || !ok || r.ChartKind == spec.ChartLocal {
			continue
		}
		key := Key{Release: old.Release, Environment: env}
		if _, own := l.cur.Get(key); own {
			continue
		}
		loc, err := l.opts.Loader.Locate(r.Chart)
		if err != nil || serves(old, loc, r.Version) != "" || serves(n, loc, r.Version) == "" {
			continue
		}
		kept := old
		kept.Environment = env
		l.cur.Set(kept)
	}
}

// environments returns the releases of every environment of kaji.yaml ("" for none) by name.
// An environment that does not resolve has none.
func (l *Locker) environments() map[string]map[string]spec.ResolvedRelease {
	l.envsOnce.Do(func() {
		l.envs = map[string]map[string]spec.ResolvedRelease{}
		for _, env := range append([]string{""}, slices.Sorted(maps.Keys(l.doc.File.Environments))...) {
			l.envs[env] = map[string]spec.ResolvedRelease{}
			res, err := l.doc.Resolve(env)
			if err != nil {
				continue
			}
			for _, r := range res.Releases {
				l.envs[env][r.Name] = r
			}
		}
	})
	return l.envs
}

// Load loads the chart of release r at its pin (see Pin), or as kaji.yaml says when it has
// none. A chart whose content differs from the pin is refused, naming both digests.
func (l *Locker) Load(ctx context.Context, r spec.ResolvedRelease) (*chart.Loaded, error) {
	pin, err := l.Pin(ctx, r)
	if err != nil {
		return nil, err
	}
	return l.loadAt(ctx, r, pin)
}

// loadKey names one load of a run: the chart as kaji.yaml writes it, and the version or pin.
type loadKey struct{ chart, version, digest string }

// loadAt loads the chart of r at pin, or as kaji.yaml says when pin is nil. A chart is read
// and parsed once per run, by validation, plan and apply alike: each caller gets its own copy
// of what Helm modifies when it processes dependencies (render.CloneChart), so that it may
// install the chart, as a fresh load allows. A load that fails is tried again by the next
// caller.
func (l *Locker) loadAt(ctx context.Context, r spec.ResolvedRelease, pin *chart.Pin) (*chart.Loaded, error) {
	k := loadKey{r.Chart, r.Version, ""}
	if pin != nil {
		k = loadKey{r.Chart, pin.Version, pin.Digest}
	}
	l.mu.Lock()
	loaded, ok := l.loads[k]
	l.mu.Unlock()
	if !ok {
		var err error
		if loaded, err = l.load(ctx, r, pin); err != nil {
			return nil, err
		}
		l.mu.Lock()
		if first, ok := l.loads[k]; ok {
			loaded = first // loaded at the same time by another caller: one chart per run
		} else {
			if l.loads == nil {
				l.loads = map[loadKey]*chart.Loaded{}
			}
			l.loads[k] = loaded
		}
		l.mu.Unlock()
	}
	c := *loaded
	c.Chart = render.CloneChart(loaded.Chart)
	return &c, nil
}

// load loads the chart of r at pin, or as kaji.yaml says when pin is nil.
func (l *Locker) load(ctx context.Context, r spec.ResolvedRelease, pin *chart.Pin) (*chart.Loaded, error) {
	if pin == nil {
		return l.opts.Loader.Load(ctx, r.Chart, r.Version)
	}
	loaded, err := l.opts.Loader.LoadPinned(ctx, r.Chart, *pin)
	if pm := (*chart.PinMismatchError)(nil); errors.As(err, &pm) {
		named := *pm
		named.Release = r.Name // for the hint to name the command that accepts it
		return nil, fmt.Errorf("load chart %s %s: %w", r.Chart, pin.Version, &named)
	}
	return loaded, err
}

// Save writes kaji.lock when the run recorded new pins (ModeUpdate only) and returns what
// changed; nothing changed is (nil, nil).
func (l *Locker) Save() ([]Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opts.Mode != ModeUpdate {
		return nil, nil
	}
	changes := Diff(l.read, l.cur)
	if len(changes) == 0 {
		return nil, nil
	}
	if err := Write(l.path, l.cur); err != nil {
		return nil, err
	}
	l.read = l.cur.Clone()
	return changes, nil
}

// entryEnvironment is the environment of the entry that a new pin of r goes to: the base
// entry when r is the same release without --env (same chart, same version), else the
// environment's own.
func (l *Locker) entryEnvironment(r spec.ResolvedRelease) string {
	if l.opts.Environment == "" {
		return ""
	}
	if b, ok := l.environments()[""][r.Name]; ok && b.Chart == r.Chart && b.Version == r.Version {
		return ""
	}
	return l.opts.Environment
}

// lookup returns the entry that serves key: the environment's own, else the base entry.
func lookup(f *File, key Key) (Entry, bool) {
	if key.Environment != "" {
		if e, ok := f.Get(key); ok {
			return e, true
		}
	}
	return f.Get(Key{Release: key.Release})
}

// serves says why entry e cannot serve a release whose chart is at loc with version
// constraint version, or "" when it can.
func serves(e Entry, loc chart.Location, version string) string {
	switch {
	case e.Repository != loc.Repository || e.Chart != loc.Name:
		return fmt.Sprintf("kaji.lock pins chart %s of %s, but kaji.yaml now names chart %s of %s", e.Chart, e.Repository, loc.Name, loc.Repository)
	case loc.Version != "" && loc.Version != e.Version:
		return fmt.Sprintf("kaji.lock pins version %s, but the chart reference in kaji.yaml has tag %s", e.Version, loc.Version)
	case loc.Digest != "" && loc.Digest != e.Digest:
		return fmt.Sprintf("kaji.lock pins digest %s, but the chart reference in kaji.yaml has digest %s", e.Digest, loc.Digest)
	case !chart.Satisfies(e.Version, version):
		return fmt.Sprintf("kaji.lock pins version %s, which version %q in kaji.yaml does not admit", e.Version, version)
	}
	return ""
}

// newEntry is the entry that pins loaded, a chart at loc, for key.
func newEntry(key Key, loc chart.Location, loaded *chart.Loaded) Entry {
	digest := loaded.Digest
	if loaded.Source == chart.SourceOCI {
		digest = loaded.ManifestDigest
	}
	return Entry{
		Release: key.Release, Environment: key.Environment,
		Repository: loc.Repository, Chart: loc.Name,
		Version: loaded.Version, Digest: digest,
	}
}

// StaleError is a release that kaji.lock does not pin as kaji.yaml asks: it has no entry, or
// its entry is for another chart, or for a version that kaji.yaml no longer admits.
type StaleError struct {
	// Key is the release and the run's environment.
	Key Key
	// Entry is the entry that was found, nil when there is none.
	Entry *Entry
	// Reason says why Entry does not serve the release; empty when Entry is nil.
	Reason string
	// Chart and Version are the release's chart and version in kaji.yaml.
	Chart, Version string
	// Readonly is set when kaji.lock may not change in this run.
	Readonly bool
}

func (e *StaleError) Error() string {
	what := fmt.Sprintf("release %s is not in kaji.lock", e.Key)
	if e.Entry != nil {
		what = fmt.Sprintf("release %s: %s", e.Key, e.Reason)
	}
	if e.Readonly {
		return fmt.Sprintf("%s (kaji.lock is read-only here: run kaji lock %s where it may change, and commit kaji.lock)", what, e.Key.Release)
	}
	return fmt.Sprintf("%s (run kaji lock %s to pin it, or pass --lock=update)", what, e.Key.Release)
}
