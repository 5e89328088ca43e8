#!/usr/bin/env bash
# Runs kaji's fuzz targets one after the other, each for FUZZTIME (go test's -fuzztime:
# a duration such as 1m, or a count such as 1000x), and prints how long each ran.
#
#   hack/fuzz.sh                        every target, FUZZTIME=1m each
#   FUZZTIME=2000x hack/fuzz.sh         every target for 2000 inputs (what CI runs: a count
#                                       cannot fail on Go 1.26's fuzztime deadline race,
#                                       go.dev/issue/75804)
#   hack/fuzz.sh FuzzParse FuzzMerge    only the named targets
#
# go test -fuzz takes one target of one package at a time. A failure stops the run; Go saves
# the failing input under the package's testdata/fuzz/<Target>/, where plain go test runs it
# from then on as a regression test. FUZZPARALLEL (default 1) is go test's -parallel: the
# number of fuzzing workers.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-1m}
FUZZPARALLEL=${FUZZPARALLEL:-1}

# package:target, one a line.
targets=(
	./internal/spec:FuzzParse
	./internal/values:FuzzMerge
	./internal/unused:FuzzAnalyze
	./internal/suggest:FuzzClosest
	./internal/iampolicy:FuzzEvaluate
	./internal/eks/awsauth:FuzzParse
	./internal/plan:FuzzCompare
	./internal/chartlock:FuzzDecode
	./internal/savedplan:FuzzDecode
)

selected=()
for t in "${targets[@]}"; do
	if [[ $# -eq 0 ]]; then
		selected+=("$t")
		continue
	fi
	for want in "$@"; do
		[[ ${t#*:} == "$want" || $t == "$want" ]] && selected+=("$t")
	done
done
if [[ ${#selected[@]} -eq 0 ]]; then
	echo "no fuzz target matches: $*" >&2
	exit 1
fi

start=$SECONDS
for t in "${selected[@]}"; do
	pkg=${t%%:*} target=${t#*:}
	echo "== $pkg $target for $FUZZTIME" >&2
	began=$SECONDS
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL" "$pkg"
	echo "== $pkg $target passed ($((SECONDS - began))s with the build)" >&2
done
echo "fuzzing done in $((SECONDS - start))s" >&2
