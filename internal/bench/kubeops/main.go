// Command kubeops measures kaji plan, apply and destroy against a sequential Helm CLI loop on a
// local control plane (internal/testenv), each operation a new process of a real binary, and
// prints a Markdown report on stdout. Progress goes to stderr. hack/bench.sh runs it
// (section kubeops); it is not part of go test.
//
//	go run ./internal/bench/kubeops -kaji bin/kaji -helm .cache/bin/helm
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

var (
	flagN        = flag.Int("n", 20, "number of releases, one namespace each")
	flagReps     = flag.Int("reps", 5, "repetitions of the cheap operations (plan, one-release change, helm list+get)")
	flagCycles   = flag.Int("cycles", 3, "install+destroy cycles, for kaji and for the helm loop")
	flagLatency  = flag.String("latency", "0,20ms", "comma-separated round-trip latencies put in front of the API server by a TCP proxy")
	flagKaji     = flag.String("kaji", "", "kaji binary")
	flagHelm     = flag.String("helm", "", "helm binary")
	flagChart    = flag.String("chart", "examples/quickstart/charts/app", `chart of every release, or "helm-create": the chart that `+"`helm create`"+` generates`)
	flagIdleSecs = flag.Duration("idle", 10*time.Second, "idle interval over which the API server's background request rate is measured")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
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
	ctx        context.Context
	env        *testenv.Env
	kubeconfig string // the one in use: direct, or through the latency proxy
	dir        string
	chart      string
	key        string  // the value that differs between runs, a dotted path
	idleRate   float64 // background requests per second
	results    map[string][]sample
	order      []string
}

func run() error {
	ctx := context.Background()
	if *flagKaji == "" || *flagHelm == "" {
		return fmt.Errorf("-kaji and -helm are required")
	}
	var latencies []time.Duration
	for _, s := range strings.Split(*flagLatency, ",") {
		s = strings.TrimSpace(s)
		if s == "0" {
			latencies = append(latencies, 0)
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("-latency: %w", err)
		}
		latencies = append(latencies, d)
	}
	var err error
	for _, p := range []*string{flagKaji, flagHelm} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "kaji-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	chart, key, err := benchChart(dir)
	if err != nil {
		return err
	}

	progress("starting control plane")
	env, err := testenv.Start(ctx)
	if err != nil {
		return err
	}
	defer env.Stop()

	b := &bench{ctx: ctx, env: env, dir: dir, chart: chart, key: key}
	if err := b.measureIdle(); err != nil {
		return err
	}
	what := fmt.Sprintf("`%s` (Deployment, Service, ConfigMap), values `%s: vN`", *flagChart, key)
	if *flagChart == "helm-create" {
		what = fmt.Sprintf("the chart `helm create` generates (Deployment, Service, ServiceAccount), values `%s: vN`", key)
	}
	fmt.Printf("N = %d releases of %s, one namespace each; "+
		"no controllers run, and neither kaji nor helm waits for readiness. "+
		"Background API requests: %.2f/s, measured over %s idle and subtracted.\n\n",
		*flagN, what, b.idleRate, *flagIdleSecs)
	for _, lat := range latencies {
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

func (b *bench) counts() testenv.RequestCounts {
	c, err := b.env.RequestCount(b.ctx)
	if err != nil {
		panic(err)
	}
	return c
}

func (b *bench) measureIdle() error {
	before := b.counts()
	start := time.Now()
	time.Sleep(*flagIdleSecs)
	d := b.counts().Sub(before)
	// the GET /metrics of the first call shows up in the second
	b.idleRate = (d.Total() - 1) / time.Since(start).Seconds()
	return nil
}

// exec runs one process and returns its wall time and peak RSS.
func (b *bench) exec(name string, args ...string) (time.Duration, int64, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(b.dir, "helm-cache"),
		"HELM_CONFIG_HOME="+filepath.Join(b.dir, "helm-config"), "HELM_DATA_HOME="+filepath.Join(b.dir, "helm-data"))
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
	before := b.counts()
	start := time.Now()
	wall, rss, err := fn()
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	d := b.counts().Sub(before)
	req := d.Total() - 1 - b.idleRate*elapsed.Seconds()
	if _, ok := b.results[op]; !ok {
		b.order = append(b.order, op)
	}
	b.results[op] = append(b.results[op], sample{wall: wall, rssKiB: rss, requests: req, objects: objectRequests(d), counts: d})
	progress("  %-34s %6.2f s  %4.0f req  %4.0f obj req  %4d MiB", op, wall.Seconds(), req, objectRequests(d), rss/1024)
	return nil
}

// objectRequests counts the requests for the resources a release is made of and the ones
// Helm stores releases in (secrets, configmaps, deployments, services, namespaces), which the
// API server's own background clients do not touch here. It leaves out discovery
// (nonresource) and Leases (kaji's project lock, but also the API server's heartbeats).
func objectRequests(d testenv.RequestCounts) float64 {
	var n float64
	for k, v := range d {
		_, res, _ := strings.Cut(k, " ")
		res, _, _ = strings.Cut(res, "/")
		switch res {
		case "secrets", "configmaps", "deployments.apps", "services", "namespaces":
			n += v
		}
	}
	return n
}

func (b *bench) kaji(args ...string) func() (time.Duration, int64, error) {
	return func() (time.Duration, int64, error) {
		return b.exec(*flagKaji, append(args, "-f", filepath.Join(b.dir, "kaji.yaml"),
			"--kubeconfig", b.kubeconfig, "--kube-context", b.env.ContextName)...)
	}
}

func (b *bench) helm(args ...string) (time.Duration, int64, error) {
	return b.exec(*flagHelm, append(args, "--kubeconfig", b.kubeconfig, "--kube-context", b.env.ContextName)...)
}

// helmLoop runs f for each release, sequentially, and sums the wall times.
func helmLoop(n int, f func(i int) (time.Duration, int64, error)) (time.Duration, int64, error) {
	var total time.Duration
	var peak int64
	for i := 0; i < n; i++ {
		w, r, err := f(i)
		total += w
		peak = max(peak, r)
		if err != nil {
			return total, peak, err
		}
	}
	return total, peak, nil
}

func relName(i int) string { return fmt.Sprintf("app%02d", i) }
func nsName(i int) string  { return fmt.Sprintf("bench-%02d", i) }

// benchChart returns the chart of every release and the value the benchmark changes: the
// quickstart app's greeting (a ConfigMap), or for "helm-create" a pod annotation of the chart
// that the helm CLI under test generates (Deployment, Service, ServiceAccount), as in the
// reference figures of helmfile and the helm CLI.
func benchChart(dir string) (chart, key string, err error) {
	if *flagChart != "helm-create" {
		chart, err = filepath.Abs(*flagChart)
		return chart, "greeting", err
	}
	chart = filepath.Join(dir, "bench")
	cmd := exec.Command(*flagHelm, "create", chart)
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+filepath.Join(dir, "helm-config"), "HELM_DATA_HOME="+filepath.Join(dir, "helm-data"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("helm create: %w\n%s", err, out)
	}
	return chart, "podAnnotations.greeting", nil
}

// inline writes key (a dotted path) = value as a YAML flow mapping.
func inline(key, value string) string {
	parts := strings.Split(key, ".")
	s := value
	for i := len(parts) - 1; i >= 0; i-- {
		s = "{" + parts[i] + ": " + s + "}"
	}
	return s
}

// writeSpec writes kaji.yaml; release 0 gets first as the changing value, the others "v1".
func (b *bench) writeSpec(first string) error {
	var s strings.Builder
	s.WriteString("apiVersion: kaji.dev/v1alpha1\nproject: bench\nreleases:\n")
	for i := 0; i < *flagN; i++ {
		g := "v1"
		if i == 0 {
			g = first
		}
		fmt.Fprintf(&s, "  - name: %s\n    namespace: %s\n    chart: %s\n    values: %s\n",
			relName(i), nsName(i), b.chart, inline(b.key, g))
	}
	return os.WriteFile(filepath.Join(b.dir, "kaji.yaml"), []byte(s.String()), 0o644)
}

func (b *bench) scenario() error {
	reps, n := *flagReps, *flagN
	for c := 0; c < *flagCycles; c++ {
		if err := b.writeSpec("v1"); err != nil {
			return err
		}
		if err := b.measure("kaji apply: install all", b.kaji("apply", "--yes")); err != nil {
			return err
		}
		if c == 0 {
			for r := 0; r < reps; r++ {
				if err := b.measure("kaji plan: no change", b.kaji("plan")); err != nil {
					return err
				}
			}
			if err := b.writeSpec("v2"); err != nil {
				return err
			}
			for r := 0; r < reps; r++ {
				if err := b.measure("kaji plan: one change", b.kaji("plan")); err != nil {
					return err
				}
			}
			for r := 0; r < reps; r++ {
				if err := b.writeSpec(fmt.Sprintf("v%d", r+2)); err != nil {
					return err
				}
				if err := b.measure("kaji apply: one change", b.kaji("apply", "--yes")); err != nil {
					return err
				}
			}
		}
		if err := b.measure("kaji destroy", b.kaji("destroy", "--yes")); err != nil {
			return err
		}
	}
	// The same install one release at a time: what the parallel apply gains.
	for c := 0; c < *flagCycles; c++ {
		if err := b.measure("kaji apply --concurrency 1: install all", b.kaji("apply", "--yes", "--concurrency", "1")); err != nil {
			return err
		}
		if err := b.measure("kaji destroy after --concurrency 1", b.kaji("destroy", "--yes")); err != nil {
			return err
		}
	}
	for c := 0; c < *flagCycles; c++ {
		err := b.measure("helm loop: upgrade --install all", func() (time.Duration, int64, error) {
			return helmLoop(n, func(i int) (time.Duration, int64, error) {
				return b.helm("upgrade", "--install", relName(i), b.chart, "-n", nsName(i), "--create-namespace", "--set", b.key+"=v1")
			})
		})
		if err != nil {
			return err
		}
		if c == 0 {
			for r := 0; r < reps; r++ {
				err := b.measure("helm list -A + get manifest each", func() (time.Duration, int64, error) {
					w0, r0, err := b.helm("list", "-A")
					if err != nil {
						return w0, r0, err
					}
					w, rr, err := helmLoop(n, func(i int) (time.Duration, int64, error) {
						return b.helm("get", "manifest", relName(i), "-n", nsName(i))
					})
					return w0 + w, max(r0, rr), err
				})
				if err != nil {
					return err
				}
			}
			for r := 0; r < reps; r++ {
				err := b.measure("helm upgrade: one release", func() (time.Duration, int64, error) {
					return b.helm("upgrade", relName(0), b.chart, "-n", nsName(0), "--set", fmt.Sprintf("%s=v%d", b.key, r+2))
				})
				if err != nil {
					return err
				}
			}
		}
		err = b.measure("helm loop: uninstall all", func() (time.Duration, int64, error) {
			return helmLoop(n, func(i int) (time.Duration, int64, error) {
				return b.helm("uninstall", relName(i), "-n", nsName(i))
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}
