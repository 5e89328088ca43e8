// Command kubeops measures kaji plan, apply and destroy against a sequential Helm CLI loop on a
// local control plane (internal/testenv), each operation a new process of a real binary, and
// prints a Markdown report on stdout. Progress goes to stderr. hack/bench.sh runs it
// (sections kubeops and kubeops-corpus); it is not part of go test.
//
//	go run ./internal/bench/kubeops -kaji bin/kaji -helm .cache/bin/helm -chart corpus
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"kaji.dev/kaji/internal/testenv"
)

// config holds the command line.
type config struct {
	n         int
	reps      int
	cycles    int
	latencies []time.Duration
	kaji      string
	helm      string
	helmfile  string // optional: measured beside kaji when set
	plugins   string // optional: helm's plugin directory, with helm-diff for `helmfile diff`
	chart     string
	corpusDir string
	idle      time.Duration
	heading   string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("kubeops", flag.ContinueOnError)
	fs.IntVar(&c.n, "n", 20, "number of releases, one namespace each")
	fs.IntVar(&c.reps, "reps", 5, "repetitions of the cheap operations (plan, one-release change, helm list+get)")
	fs.IntVar(&c.cycles, "cycles", 3, "install+destroy cycles, for kaji and for the helm loop")
	latency := fs.String("latency", "0,20ms", "comma-separated round-trip latencies put in front of the API server by a TCP proxy")
	fs.StringVar(&c.kaji, "kaji", "", "kaji binary")
	fs.StringVar(&c.helm, "helm", "", "helm binary")
	fs.StringVar(&c.helmfile, "helmfile", "", "helmfile binary (optional): helmfile sync and destroy are measured too, with -helm as its helm")
	fs.StringVar(&c.plugins, "helm-plugins", "", "helm plugin directory holding the helm-diff plugin (optional, with -helmfile): `helmfile diff` is measured too")
	fs.StringVar(&c.chart, "chart", "examples/quickstart/charts/app", `chart of every release; "helm-create": the chart that `+"`helm create`"+` generates; "corpus": the charts of the shared corpus, then copies of the helm create chart up to -n`)
	fs.StringVar(&c.corpusDir, "corpus", "", "the shared chart corpus, for -chart corpus (default: ../shared/charts beside the module root)")
	fs.DurationVar(&c.idle, "idle", 10*time.Second, "idle interval over which the API server's background request rate is measured")
	fs.StringVar(&c.heading, "heading", "###", "Markdown heading of each latency's section")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.kaji == "" || c.helm == "" {
		return c, fmt.Errorf("-kaji and -helm are required")
	}
	if c.n < 1 || c.reps < 1 || c.cycles < 1 {
		return c, fmt.Errorf("-n, -reps and -cycles must be at least 1")
	}
	if c.plugins != "" && c.helmfile == "" {
		return c, fmt.Errorf("-helm-plugins is for helmfile diff: give -helmfile too")
	}
	for _, s := range strings.Split(*latency, ",") {
		s = strings.TrimSpace(s)
		if s == "0" {
			c.latencies = append(c.latencies, 0)
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return c, fmt.Errorf("-latency: %w", err)
		}
		c.latencies = append(c.latencies, d)
	}
	var err error
	for _, p := range []*string{&c.kaji, &c.helm, &c.helmfile, &c.plugins} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			return c, err
		}
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err == nil {
		err = run(context.Background(), cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeops:", err)
		os.Exit(1)
	}
}

// sample is one measured operation: wall time, peak RSS (KiB) of its process (the max over
// the processes of a loop) and the API requests it made (background noise subtracted).
type sample struct {
	wall     time.Duration
	rssKiB   int64
	requests float64 // every request, minus the background rate over the same time
	objects  float64 // requests for the objects kaji and helm handle, no background in them
	counts   testenv.RequestCounts
}

type bench struct {
	cfg        config
	ctx        context.Context
	env        *testenv.Env
	kubeconfig string // the one in use: direct, or through the latency proxy
	dir        string
	releases   []release
	idleRate   float64  // background requests per second
	states     []string // releases not in sync in a plan right after the first install
	results    map[string][]sample
	order      []string
}

func run(ctx context.Context, cfg config) error {
	dir, err := os.MkdirTemp("", "kaji-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{cfg: cfg, ctx: ctx, dir: dir}
	what, err := b.makeReleases()
	if err != nil {
		return err
	}

	progress("starting control plane")
	env, err := testenv.Start(ctx)
	if err != nil {
		return err
	}
	defer env.Stop()
	b.env = env
	if err := b.measureIdle(); err != nil {
		return err
	}
	fmt.Printf("N = %d releases: %s, one namespace each; "+
		"no controllers run, and neither kaji nor helm waits for readiness. "+
		"Background API requests: %.2f/s, measured over %s idle and subtracted.\n\n",
		cfg.n, what, b.idleRate, cfg.idle)
	if cfg.chart == corpusChart {
		b.printReleases()
	}
	for _, lat := range cfg.latencies {
		b.results = map[string][]sample{}
		b.order = nil
		b.kubeconfig = env.KubeconfigPath
		var stop func()
		if lat > 0 {
			kc, s, err := startProxy(env, dir, lat)
			if err != nil {
				return err
			}
			b.kubeconfig, stop = kc, s
		}
		progress("latency %s", lat)
		err := b.scenario()
		if stop != nil {
			stop()
		}
		if err != nil {
			return err
		}
		b.report(lat)
	}
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

func (b *bench) counts() (testenv.RequestCounts, error) {
	c, err := b.env.RequestCount(b.ctx)
	if err != nil {
		return nil, fmt.Errorf("count api requests: %w", err)
	}
	return c, nil
}

func (b *bench) measureIdle() error {
	before, err := b.counts()
	if err != nil {
		return err
	}
	start := time.Now()
	time.Sleep(b.cfg.idle)
	after, err := b.counts()
	if err != nil {
		return err
	}
	d := after.Sub(before)
	// the GET /metrics of the first call shows up in the second
	b.idleRate = (d.Total() - 1) / time.Since(start).Seconds()
	progress("idle: %.0f requests in %s, %.0f of them for objects", d.Total()-1, b.cfg.idle, objectRequests(d))
	return nil
}

// exec runs one process and returns its wall time and peak RSS.
func (b *bench) exec(name string, args ...string) (time.Duration, int64, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(b.dir, "helm-cache"),
		"HELM_CONFIG_HOME="+filepath.Join(b.dir, "helm-config"), "HELM_DATA_HOME="+filepath.Join(b.dir, "helm-data"))
	if b.cfg.plugins != "" {
		// helm-diff v3.13 (what hack/build-helmdiff.sh builds) renders with `helm template
		// --validate` unless told to dry-run an upgrade, and Helm 4 refuses --validate. Later
		// versions render with a server dry run either way.
		cmd.Env = append(cmd.Env, "HELM_PLUGINS="+b.cfg.plugins, "HELM_DIFF_USE_UPGRADE_DRY_RUN=true")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var rss int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss
		}
	}
	if err != nil {
		return wall, rss, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
	}
	return wall, rss, nil
}

// measure records op: fn runs one or more processes through b.exec and returns its samples'
// wall time (summed by the caller) and peak RSS.
func (b *bench) measure(op string, fn func() (time.Duration, int64, error)) error {
	before, err := b.counts()
	if err != nil {
		return err
	}
	start := time.Now()
	wall, rss, err := fn()
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	after, err := b.counts()
	if err != nil {
		return err
	}
	d := after.Sub(before)
	req := d.Total() - 1 - b.idleRate*elapsed.Seconds()
	if _, ok := b.results[op]; !ok {
		b.order = append(b.order, op)
	}
	b.results[op] = append(b.results[op], sample{wall: wall, rssKiB: rss, requests: req, objects: objectRequests(d), counts: d})
	progress("  %-34s %6.2f s  %4.0f req  %4.0f obj req  %4d MiB", op, wall.Seconds(), req, objectRequests(d), rss/1024)
	return nil
}

// objectRequests counts the requests for the resources that releases are made of and that
// Helm stores releases in, which the API server's own background clients do not touch
// here: every resource but discovery and other paths outside the API (nonresource), Leases
// (kaji's project lock, but also the API server's heartbeats), and the Endpoints and
// EndpointSlices of the kubernetes Service, which the API server reconciles.
func objectRequests(d testenv.RequestCounts) float64 {
	var n float64
	for k, v := range d {
		_, res, _ := strings.Cut(k, " ")
		res, _, _ = strings.Cut(res, "/")
		switch res {
		case "nonresource", "leases.coordination.k8s.io", "endpoints", "endpointslices.discovery.k8s.io":
		default:
			n += v
		}
	}
	return n
}
