package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"kaji.dev/kaji/internal/testenv"
)

func median[T int64 | float64 | time.Duration](v []T) T {
	s := append([]T(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type stats struct {
	wall     time.Duration
	rss      int64
	requests float64
	objects  float64
	runs     []time.Duration
}

func (b *bench) stats(op string) stats {
	var w []time.Duration
	var r []int64
	var q, o []float64
	for _, s := range b.results[op] {
		o = append(o, s.objects)
		w = append(w, s.wall)
		r = append(r, s.rssKiB)
		q = append(q, s.requests)
	}
	return stats{wall: median(w), rss: median(r), requests: median(q), objects: median(o), runs: w}
}

func (b *bench) report(lat time.Duration) {
	fmt.Printf("%s round-trip latency %s\n\n", b.cfg.heading, latName(lat))
	fmt.Println("| operation | runs | median wall | each run | API requests, all minus background (median) | of which for objects (no discovery, Leases, Endpoints, EndpointSlices) | peak RSS (median) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, op := range b.order {
		s := b.stats(op)
		var runs []string
		for _, w := range s.runs {
			runs = append(runs, fmt.Sprintf("%.2f", w.Seconds()))
		}
		fmt.Printf("| %s | %d | **%.2f s** | %s | %.0f | %.0f | %d MiB |\n", op, len(s.runs), s.wall.Seconds(),
			strings.Join(runs, ", "), s.requests, s.objects, s.rss/1024)
	}
	ratio := func(a, c string) string {
		x, y := b.stats(a), b.stats(c)
		if y.wall == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", float64(x.wall)/float64(y.wall))
	}
	fmt.Println()
	if len(b.states) == 0 {
		fmt.Printf("Right after the first install, `kaji plan` finds all %d releases in sync.\n\n", len(b.releases))
	} else {
		fmt.Printf("Right after the first install, `kaji plan` finds %d of %d releases not in sync, "+
			"so that the no-change plans dry-run apply their objects and `kaji apply` upgrades them too:\n\n", len(b.states), len(b.releases))
		for _, s := range b.states {
			fmt.Printf("- %s\n", s)
		}
		fmt.Println()
	}
	fmt.Println("| ratio (medians) | value |")
	fmt.Println("|---|---|")
	fmt.Printf("| helm loop install / kaji apply install (speed-up) | %s× |\n", ratio("helm loop: upgrade --install all", "kaji apply: install all"))
	fmt.Printf("| kaji apply --concurrency 1 install / kaji apply install (parallel speed-up) | %s× |\n", ratio("kaji apply --concurrency 1: install all", "kaji apply: install all"))
	fmt.Printf("| helm loop install / kaji apply --concurrency 1 install | %s× |\n", ratio("helm loop: upgrade --install all", "kaji apply --concurrency 1: install all"))
	fmt.Printf("| kaji apply one change / helm upgrade one release | %s× |\n", ratio("kaji apply: one change", "helm upgrade: one release"))
	fmt.Printf("| kaji plan no change / helm list -A + get manifest each | %s× |\n", ratio("kaji plan: no change", "helm list -A + get manifest each"))
	fmt.Printf("| kaji plan no change after an apply / helm list -A + get manifest each | %s× |\n", ratio("kaji plan: no change, after an apply", "helm list -A + get manifest each"))
	fmt.Printf("| kaji destroy / helm loop uninstall | %s× |\n", ratio("kaji destroy", "helm loop: uninstall all"))
	if b.cfg.helmfile != "" {
		fmt.Printf("| helmfile sync install / kaji apply install (speed-up) | %s× |\n", ratio("helmfile sync: install all", "kaji apply: install all"))
		fmt.Printf("| helm loop install / helmfile sync install | %s× |\n", ratio("helm loop: upgrade --install all", "helmfile sync: install all"))
		fmt.Printf("| kaji apply one change / helmfile sync --selector one change | %s× |\n", ratio("kaji apply: one change", "helmfile sync --selector: one change"))
		fmt.Printf("| helmfile sync --selector one change / helm upgrade one release | %s× |\n", ratio("helmfile sync --selector: one change", "helm upgrade: one release"))
		fmt.Printf("| kaji destroy / helmfile destroy | %s× |\n", ratio("kaji destroy", "helmfile destroy"))
	}
	if b.cfg.plugins != "" {
		fmt.Printf("| helmfile diff no change / kaji plan no change (speed-up) | %s× |\n", ratio("helmfile diff: no change", "kaji plan: no change"))
		fmt.Printf("| helmfile diff no change / kaji plan no change after an apply (speed-up) | %s× |\n", ratio("helmfile diff: no change", "kaji plan: no change, after an apply"))
	}
	for _, op := range []string{"kaji plan: no change", "kaji plan: no change, after an apply", "kaji apply: one change"} {
		if ss := b.results[op]; len(ss) > 0 {
			fmt.Printf("\nRequests of one `%s` run (raw deltas, background included):\n\n```\n%s```\n", op, formatCounts(ss[0].counts))
		}
	}
	fmt.Println()
}

func latName(d time.Duration) string {
	if d == 0 {
		return "0 ms (direct)"
	}
	return fmt.Sprintf("%d ms (TCP proxy)", d.Milliseconds())
}

func formatCounts(c testenv.RequestCounts) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&s, "%5.0f %s\n", c[k], k)
	}
	return s.String()
}
