#!/usr/bin/env bash
# Runs kaji's Go benchmarks and prints a Markdown report on stdout, for BENCHMARKS.md.
# Progress and the raw benchmark output go to stderr; the raw output is also kept in
# .cache/bench/<section>.txt, so that two runs can be compared with benchstat.
#
#   hack/bench.sh              every section
#   hack/bench.sh validate     only the named sections
#
# Sections: validate; kubeops (N=20 and N=100 releases of the helm create chart, each at 0
# and 20 ms); kubeops-corpus (N=20 releases from the shared chart corpus, at 0 and 20 ms).
# Their knobs are described above their functions. A quick check of one kubeops run:
#
#   KUBEOPS_N=20 KUBEOPS_LATENCY=0 BENCH_COUNT=1 hack/bench.sh kubeops-corpus
#
# Time of the whole run with the defaults, estimated from runs with BENCH_COUNT=1 on an idle
# 2-core machine (each kubeops time is about BENCH_COUNT times that of one run): validate
# ~1 min, kubeops N=20 ~5 min and N=100 ~20 min, kubeops-corpus ~9 min; ~35 min in all, and
# up to twice that on a busy machine. Most of it is the helm loops at 20 ms.
#
# The kubeops sections also measure helmfile (`helmfile sync`, `diff` with nothing changed, and
# `destroy`, with the same helm CLI), built once into .cache/bin by hack/build-helmfile.sh
# (about 8 minutes cold on 2 cores), with the helm-diff plugin that hack/build-helmdiff.sh
# builds into .cache/helm-plugins (about 2 minutes); BENCH_HELMFILE=0 leaves them out.
# BENCH_HELM_PLUGINS=DIR takes the helm-diff of another helm plugin directory
# (DIR/diff/plugin.yaml) instead.
#
# BENCH_COUNT (default 5) and BENCH_TIME (default 3x) set go test's -count and -benchtime, and
# the runs of each kubeops operation (their medians are reported).
# Needs nothing but Go: benchstat (golang.org/x/perf) is built into .cache/bin once, through
# the module proxy; without it the report still has the medians.
#
# To add a benchmark, write a section_<name> function that runs it and prints its Markdown,
# and add <name> to SECTIONS.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/.cache/bench"
mkdir -p "$out"
count="${BENCH_COUNT:-5}"
benchtime="${BENCH_TIME:-3x}"

SECTIONS=(validate kubeops kubeops-corpus)

# median FILE BENCHMARK: the median ns/op of BENCHMARK (its name without the -GOMAXPROCS
# suffix) in FILE, as an integer.
median() {
	awk -v want="$2" '
		$1 ~ /^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); if (name == want) print $3 }
	' "$1" | sort -n | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "missing"; exit 1 }
			if (NR % 2) printf "%d\n", v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# median_of FILE: the median of the integers in FILE, one a line, as an integer.
median_of() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%d\n", v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# seconds NS: nanoseconds as seconds with two decimals.
seconds() { awk -v ns="$1" 'BEGIN { printf "%.2f s", ns / 1e9 }'; }

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# benchstat_block FILE: benchstat's summary of FILE in a code block, when benchstat builds.
benchstat_block() {
	local bs="$root/.cache/bin/benchstat"
	if [[ ! -x "$bs" ]]; then
		echo "building benchstat into .cache/bin" >&2
		GOBIN="$root/.cache/bin" go install golang.org/x/perf/cmd/benchstat@latest >&2 || true
	fi
	if [[ -x "$bs" ]]; then
		printf '\n```\n'
		"$bs" "$1"
		printf '```\n'
	fi
}

# time_cli NAME ARGS...: runs the kaji built into $out with ARGS $count times, a new process
# each time, and prints the median wall-clock nanoseconds. The times go to $out/NAME.txt.
time_cli() {
	local name="$1"
	shift
	: >"$out/$name.txt"
	for _ in $(seq "$count"); do
		local start end
		start="$(date +%s%N)"
		"$out/kaji" "$@" >/dev/null
		end="$(date +%s%N)"
		echo "$((end - start))" >>"$out/$name.txt"
	done
	median_of "$out/$name.txt"
}

section_validate() {
	# The same kaji.yaml, validated in-process by the benchmark and by a real build of kaji in a
	# new process each time, the two taken in turns: a machine whose speed drifts during the
	# section then slows both alike, and the ratio of their medians compares like with like.
	local f="$out/validate.txt" total anchor
	go build -o "$out/kaji" ./cmd/kaji
	go test -c -o "$out/validate.test" ./internal/validate
	go test -count=1 -run '^TestCorpusHasNoFalsePositives$' ./internal/validate -args -corpus-yaml="$out/corpus" >/dev/null
	echo "bench validate: $count turns of (validate.test -test.bench '^BenchmarkCorpus\$' -test.benchtime $benchtime; kaji validate)" >&2
	: >"$f"
	: >"$out/validate-cli.txt"
	local i start end
	for i in $(seq "$count"); do
		# go test runs a package's test binary in the package's directory.
		(cd internal/validate && "$out/validate.test" -test.run '^$' -test.bench '^BenchmarkCorpus$' -test.benchtime "$benchtime") |
			tee -a "$f" >&2
		# Cold: every release checked (KAJI_NO_VALIDATION_CACHE=1).
		start="$(date +%s%N)"
		KAJI_NO_VALIDATION_CACHE=1 "$out/kaji" validate -f "$out/corpus/kaji.yaml" >/dev/null
		end="$(date +%s%N)"
		echo "$((end - start))" >>"$out/validate-cli.txt"
	done
	total="$(median "$f" BenchmarkCorpus/validate)"
	anchor="$(median "$f" BenchmarkCorpus/render)"
	local cold warm
	cold="$(median_of "$out/validate-cli.txt")"
	# Warm: the cache of the releases found clean, which the first warm run fills when it is
	# empty (the median leaves it out).
	warm="$(time_cli validate-cli-warm validate -f "$out/corpus/kaji.yaml")"
	local releases
	releases="$(awk '$1 ~ /^BenchmarkCorpus\/validate/ { for (i = 1; i <= NF; i++) if ($i == "releases") { printf "%d", $(i - 1); exit } }' "$f")"
	cat <<EOF
## validate: the whole corpus in one kaji.yaml

One kaji.yaml with a release (${releases:-?} of them) for every values file of the chart corpus that Helm renders
(each chart's ci/ files, or its defaults when it has none; \`--set\` flags as inline values):
the file of \`TestCorpusHasNoFalsePositives\`. Medians of $count runs of $benchtime each, each
run of the benchmark followed by one run of \`kaji validate\` as a new process.

| measure | median |
|---|---|
| total: \`validate.Run\` (kaji.yaml, charts from disk, values, schemas, render, manifests, unused-key analysis) | $(seconds "$total") |
| anchor: plain deterministic rendering of the same releases, charts and values loaded beforehand, same parallelism | $(seconds "$anchor") |
| ratio total / anchor | $(ratio "$total" "$anchor")× |
| \`kaji validate\` on the same file, a new process each time, every release checked (\`KAJI_NO_VALIDATION_CACHE=1\`; wall clock, $count runs) | $(seconds "$cold") |
| ratio new process / \`validate.Run\` | $(ratio "$cold" "$total")× |
| the same with the cache of releases found clean (what a second \`kaji validate\` takes) | $(seconds "$warm") |

Targets: the whole corpus validates in under 2 s; validation costs at most 3× plain rendering;
as a new process, in at most 1 s and 1.3× \`validate.Run\`.
EOF
	benchstat_block "$f"
	echo
}

# kubeops: kaji plan/apply/destroy against a sequential helm CLI loop on a local control plane
# (internal/bench/kubeops), each operation a new process; a new control plane for each size.
# KUBEOPS_N (default "20 100"): the sizes (numbers of releases, one namespace each), split
# by spaces or commas;
# KUBEOPS_CHART (default helm-create: the chart `helm create` generates, as in the
# reference figures of helmfile and the helm CLI; "corpus"; or a chart directory such as examples/quickstart/charts/app);
# KUBEOPS_LATENCY (default "0,20ms"): round-trip latencies added by a local TCP proxy;
# BENCH_COUNT: runs of the cheap operations and of the install+destroy cycles.
section_kubeops() {
	local n sizes="${KUBEOPS_N:-20 100}"
	kubeops_intro "${KUBEOPS_CHART:-helm-create}"
	for n in ${sizes//,/ }; do
		kubeops_run "${KUBEOPS_CHART:-helm-create}" "$n"
	done
	cat <<EOF
Targets at N=20: a no-change plan in ≤ 0.5 s at 0 ms and ≤ 1 s at 20 ms, with ≤ 2 API
requests per release plus a constant; a one-release change applied in ≤ 1.2× one
\`helm upgrade\`; a first install of 20 at least 4× faster than the sequential helm loop.

EOF
}

# kubeops-corpus: the kubeops measurements with releases from the shared chart corpus
# (../shared/charts): each of its charts once, with a ci/ values file and the manifest's
# --set flags, plus the few --set flags that a bare control plane needs (the program's
# corpus.go says which and why), then copies of the helm create chart up to N.
# KUBEOPS_N (default 20) and KUBEOPS_LATENCY as for kubeops.
section_kubeops-corpus() {
	local n sizes="${KUBEOPS_N:-20}"
	kubeops_intro corpus
	for n in ${sizes//,/ }; do
		kubeops_run corpus "$n"
	done
}

# kubeops_intro CHART: builds kaji (and helm, once) and prints the section's heading.
kubeops_intro() {
	go build -o "$out/kaji" ./cmd/kaji
	[[ -x "$root/.cache/bin/helm" ]] || hack/build-helm.sh >&2
	helmfile=()
	local plugins="" diff_from="built from its Go module into \`.cache/helm-plugins\`"
	if [[ "${BENCH_HELMFILE:-1}" != 0 ]]; then
		plugins="${BENCH_HELM_PLUGINS:-$(hack/build-helmdiff.sh)}"
		[[ -n "${BENCH_HELM_PLUGINS:-}" ]] && diff_from="from \`BENCH_HELM_PLUGINS\`"
		helmfile=(-helmfile "$(hack/build-helmfile.sh)" -helm-plugins "$plugins")
	fi
	if [[ "$1" == corpus ]]; then
		printf '## kubeops-corpus: plan, apply and destroy of real charts, against the helm CLI\n\n'
	else
		printf '## kubeops: plan, apply and destroy on a local control plane, against the helm CLI\n\n'
	fi
	cat <<EOF
Each operation is a new process of a real build: \`kaji\` (\`plan\`, \`apply --yes\`,
\`destroy --yes\`, default concurrency 8) and the Helm v4 CLI of the same SDK version
(\`.cache/bin/helm\`, one \`helm upgrade --install\` per release with the same chart, values
files and \`--set\` flags), on kube-apiserver + etcd started by internal/testenv, a new one
for each N. Wall clock per process (for a helm loop, the sum over its processes), median of
$count runs; peak RSS (\`Maxrss\`; for a loop, its largest process); and the API server's
\`apiserver_request_total\` before and after.
EOF
	if ((${#helmfile[@]})); then
		cat <<EOF

helmfile $(awk '$1 == "require" { $1 = ""; $0 = $0 } $1 == "github.com/helmfile/helmfile" { print $2; exit }' tools/helmfile/go.mod) (built from its Go module into \`.cache/bin/helmfile\`) runs the same helm CLI on a
helmfile.yaml with the same releases, charts, values files and inline values: \`helmfile sync
--skip-deps\` (the charts hold their dependencies, as kaji takes them) at its default concurrency, a one-release change with \`--selector name=…\`, and
\`helmfile destroy\`.
EOF
		cat <<EOF

\`helmfile diff\`, with nothing changed after \`helmfile sync\`, runs the helm-diff plugin
$(HELM_PLUGINS="$plugins" "$root/.cache/bin/helm" plugin list 2>/dev/null | awk '$1 == "diff" { print $2 }') ($diff_from) with \`HELM_DIFF_USE_UPGRADE_DRY_RUN=true\`: under Helm 4,
helm-diff 3.13 must render with \`helm upgrade --dry-run=server\` (its default, \`helm template
--validate\`, is refused).
EOF
	fi
	echo
}

# kubeops_run CHART N: one run of internal/bench/kubeops on a new control plane; its report
# goes to stdout and to $out/kubeops[-corpus]-nN.md.
kubeops_run() {
	local chart="$1" n="$2" name="kubeops"
	[[ "$chart" == corpus ]] && name="kubeops-corpus"
	echo "bench $name: N=$n, go run ./internal/bench/kubeops" >&2
	printf '### N=%s\n\n' "$n"
	go run ./internal/bench/kubeops -kaji "$out/kaji" -helm "$root/.cache/bin/helm" "${helmfile[@]}" -heading '####' \
		-chart "$chart" -n "$n" -latency "${KUBEOPS_LATENCY:-0,20ms}" -reps "$count" -cycles "$count" |
		tee "$out/$name-n$n.md"
}

cat <<EOF
# kaji benchmarks

- date: $(date -u +%Y-%m-%dT%H:%MZ)
- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo " (with local changes)")
- $(go version)
- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown), $(getconf _NPROCESSORS_ONLN) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

EOF
for s in "${@:-${SECTIONS[@]}}"; do
	if ! declare -F "section_$s" >/dev/null; then
		echo "error: no benchmark section $s (sections: ${SECTIONS[*]})" >&2
		exit 2
	fi
	"section_$s"
done
