package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/chartlock"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/validate"
	"kaji.dev/kaji/internal/validcache"
)

// This file is about kaji.lock, the pins of the charts (package chartlock). lock.go is about
// the project lock, the Lease that lets one run at a time change a project's releases.

// lockModeValue is the --lock flag: empty until set, which means auto, or readonly when CI is
// set. A wrong value is a usage error as the flag is parsed.
type lockModeValue struct{ mode *chartlock.Mode }

func (v lockModeValue) String() string {
	if v.mode == nil {
		return ""
	}
	return string(*v.mode)
}

func (v lockModeValue) Set(s string) error {
	m, err := chartlock.ParseMode(s)
	if err != nil {
		return err
	}
	*v.mode = m
	return nil
}

func (lockModeValue) Type() string { return "mode" }

// lockModeUsage is the help of --lock.
const lockModeUsage = "what kaji may do with kaji.lock: auto (load its pins; only kaji lock writes it), readonly (never write it), update (pin anew what it lacks or kaji.yaml no longer admits, and write it); default auto, or readonly when CI is set"

// chartLockMode is the run's mode: --lock when given, else readonly when the CI environment
// variable is set (to anything but false or 0), else auto.
func (g *globalFlags) chartLockMode() chartlock.Mode {
	if g.lockMode != "" {
		return g.lockMode
	}
	switch os.Getenv("CI") {
	case "", "false", "0":
		return chartlock.ModeAuto
	}
	return chartlock.ModeReadonly
}

// runCharts are the charts of one run: one loader, and the kaji.lock that pins what it loads.
// Validation, plan and apply share them, so that they load the same charts.
type runCharts struct {
	loader *chart.Loader
	lock   *chartlock.Locker
}

// charts returns the run's charts, made on first use from kaji.yaml's document.
func (g *globalFlags) charts(doc *spec.Document) (*runCharts, error) {
	if g.run != nil {
		return g.run, nil
	}
	var auth chart.RegistryAuth
	if g.ecrAuth != nil {
		auth = g.ecrAuth
	}
	loader := chart.NewLoader(chart.Options{Repositories: doc.File.Repositories, RegistryAuth: auth})
	l, err := chartlock.Open(doc, chartlock.Options{Mode: g.chartLockMode(), Environment: g.env, Loader: loader})
	if err != nil {
		return nil, err
	}
	g.run = &runCharts{loader: loader, lock: l}
	return g.run, nil
}

// noValidationCache is the environment variable that turns the cache of validation off.
const noValidationCache = "KAJI_NO_VALIDATION_CACHE"

// validationMemory is the cache of the releases found clean by earlier runs, which
// validation does not check again; nil, and everything checked, when the user cache
// directory cannot be used or KAJI_NO_VALIDATION_CACHE is set to anything but "" or "0".
func validationMemory() validate.Memory {
	if v := os.Getenv(noValidationCache); v != "" && v != "0" {
		return nil
	}
	c, err := validcache.Open(validcache.Options{})
	if err != nil {
		return nil
	}
	return c
}

// validateCharts makes validation load the run's charts, at the versions kaji.lock pins, when
// kaji.yaml loads; when it does not, validation reports why.
func (g *globalFlags) validateCharts(opts validate.Options) (validate.Options, error) {
	if doc, err := g.document(); err == nil {
		opts.Document = doc
	}
	if opts.Memory == nil {
		opts.Memory = validationMemory()
	}
	if opts.Charts != nil {
		return opts, nil
	}
	if _, _, err := g.loadDocument(); err != nil {
		return opts, nil // validation reports why
	}
	// prepare makes the run's chart loader, with the credentials of ECR registries, and
	// reads kaji.lock: what fails now is kaji.lock.
	s, err := g.prepare()
	if err != nil {
		return opts, err
	}
	opts.Charts = s.charts
	return opts, nil
}

// selectionCharts makes validation, in a run of a selection, load the charts as the run's
// kaji.lock covers it: the releases of the selection (with those they need) as kaji.lock pins
// them, any other at its pin when kaji.lock has one, else as kaji.yaml says (see
// chartlock.Within). Without a selection, or when kaji.yaml does not load (validation says
// why), opts is as given.
func (g *globalFlags) selectionCharts(opts validate.Options, sel spec.Selection) (validate.Options, error) {
	if sel.All() {
		return opts, nil
	}
	if _, _, err := g.loadDocument(); err != nil {
		return opts, nil
	}
	s, err := g.prepare()
	if err != nil {
		return opts, err
	}
	names, err := s.narrow(sel)
	if err != nil {
		return opts, err
	}
	opts.Charts = s.charts.Within(names)
	return opts, nil
}

// savingChartLock runs a command and then writes the pins it recorded (with --lock=update), saying
// on stderr what changed in kaji.lock, whether the command succeeded or not: what was resolved
// stays resolved. Without kaji.lock, plan and apply say how to pin the charts.
func (g *globalFlags) savingChartLock(streams Streams, run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if g.run == nil {
			return err
		}
		l := g.run.lock
		changes, saveErr := l.Save()
		switch {
		case saveErr != nil && err == nil:
			return saveErr
		case saveErr != nil:
			fmt.Fprintf(streams.Err, "error: %v\n", saveErr)
		case len(changes) > 0:
			fmt.Fprintf(streams.Err, "%s updated (--lock=update):\n", displayPath(l.Path()))
			writeLockChanges(streams.Err, changes, palette{})
		}
		if !l.Exists() && len(changes) == 0 && l.Unpinned() > 0 && (cmd.Name() == "plan" || cmd.Name() == "apply") {
			fmt.Fprintln(streams.Err, "hint: there is no kaji.lock, so chart versions are resolved anew on every run; kaji lock pins them")
		}
		return err
	}
}

func newChartLockCommand(g *globalFlags, streams Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "lock [RELEASE...]",
		Short: "Pin the chart of every release to an exact version and digest in kaji.lock",
		Long: `Resolve the chart of every release anew, as if for the first time, and write the
exact versions to kaji.lock, beside kaji.yaml, with a digest of their content: the
sha256 of the chart archive for an https repository, the manifest digest for an OCI
registry. Local charts are not locked. With release names, only those releases are
resolved anew; the other pins stay as they are. The change to kaji.lock is printed.

kaji validate, plan and apply then load exactly what kaji.lock pins, while the
version in kaji.yaml still admits it: a newer chart within a constraint such as
~1.4 changes nothing until kaji lock is run again. A release missing from kaji.lock,
or whose version in kaji.yaml no longer admits its pin, stops them with an error
that says to run kaji lock (or, with --lock=update, is pinned anew and written).
A chart whose content differs from its pinned digest is refused, naming both
digests: the same version published again never slips in. Check with the chart's
owner; if the new content is right, kaji lock RELEASE accepts it.

Every environment is pinned at once. A release has one pin for all environments,
unless an environment overrides its version with one that the pin does not satisfy,
or enables a release that is otherwise disabled: that environment gets its own pin.

--lock=readonly (the default when the CI environment variable is set) refuses any
change to kaji.lock, so CI deploys what was reviewed: run kaji lock where you can
commit the result. A project without kaji.lock is not locked: charts resolve anew
on every run, as they did before kaji.lock existed.`,
		Example: `  kaji lock                 # pin every release; commit kaji.lock with kaji.yaml
  kaji lock api             # pin api anew, for instance after changing its version
  kaji plan --lock=update   # pin what kaji.lock lacks while planning`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.env != "" {
				return &UsageError{Err: fmt.Errorf("kaji lock pins every environment at once; drop --env %s", g.env)}
			}
			if g.chartLockMode() == chartlock.ModeReadonly {
				return errors.New("kaji.lock is read-only here (--lock=readonly, the default when CI is set): nothing was written; " +
					"run kaji lock where kaji.lock may change and commit it, or pass --lock=auto")
			}
			doc, err := spec.Load(g.file)
			if err != nil {
				return err
			}
			path := chartlock.PathFor(doc.Dir)
			old, err := chartlock.Read(path)
			if err != nil {
				return err
			}
			loader := chart.NewLoader(chart.Options{Repositories: doc.File.Repositories})
			next, err := chartlock.Relock(cmd.Context(), doc, loader, old, args)
			var unknown *chartlock.UnknownReleaseError
			if errors.As(err, &unknown) {
				return &UsageError{Err: err}
			}
			if err != nil {
				return fmt.Errorf("%w (nothing was written to kaji.lock)", err)
			}
			changes := chartlock.Diff(old, next)
			if old != nil && len(changes) == 0 {
				fmt.Fprintf(streams.Out, "%s is up to date: nothing changed\n", displayPath(path))
				return nil
			}
			if err := chartlock.Write(path, next); err != nil {
				return err
			}
			writeLockChanges(streams.Out, changes, colours(streams))
			fmt.Fprintf(streams.Out, "wrote %s: %s\n", displayPath(path), summarizeLockChanges(changes, len(next.Entries)))
			return nil
		},
	}
}

// writeLockChanges prints the changes of kaji.lock as a diff, entry by entry: every field of
// an added or removed entry, the fields that differ of a changed one.
func writeLockChanges(w io.Writer, changes []chartlock.Change, p palette) {
	add, del := "", ""
	if p.reset != "" {
		add, del = "\x1b[32m", "\x1b[31m"
	}
	line := func(colour, sign, text string) {
		fmt.Fprintf(w, "%s%s %s%s\n", colour, sign, text, p.reset)
	}
	for _, c := range changes {
		switch {
		case c.Old == nil:
			line(add, "+", c.Key.String())
			for _, f := range lockFields(*c.New) {
				line(add, "+", "    "+f)
			}
		case c.New == nil:
			line(del, "-", c.Key.String())
			for _, f := range lockFields(*c.Old) {
				line(del, "-", "    "+f)
			}
		default:
			line("", "~", c.Key.String())
			before, after := lockFields(*c.Old), lockFields(*c.New)
			for i := range before {
				if before[i] != after[i] {
					line(del, "-", "    "+before[i])
					line(add, "+", "    "+after[i])
				}
			}
		}
	}
}

// lockFields are the fields of an entry as kaji.lock writes them.
func lockFields(e chartlock.Entry) []string {
	return []string{
		"repository: " + e.Repository,
		"chart: " + e.Chart,
		"version: " + e.Version,
		"digest: " + e.Digest,
	}
}

// summarizeLockChanges says how many entries were added, changed and removed, out of total.
func summarizeLockChanges(changes []chartlock.Change, total int) string {
	var added, changed, removed int
	for _, c := range changes {
		switch {
		case c.Old == nil:
			added++
		case c.New == nil:
			removed++
		default:
			changed++
		}
	}
	return fmt.Sprintf("%d added, %d changed, %d removed; %s in all", added, changed, removed, plural(total, "pin"))
}

// displayPath is path relative to the working directory when it is under it, else path.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || !filepath.IsLocal(rel) {
		return path
	}
	return strings.TrimPrefix(rel, "./")
}
