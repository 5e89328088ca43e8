#!/usr/bin/env bash
# Builds Flux's source-controller and helm-controller from Go modules (tools/flux) into
# .cache/flux/<name>/, with their CRDs in crds/ beside them, only when they are missing or
# tools/flux changed since, then prints that directory. <name> says both versions, as
# tools/flux/go.mod requires them: source-controller-v1.9.6_helm-controller-v1.6.4.
# Needs nothing but Go. The tests that hand releases over to Flux (internal/testenv/fluxenv)
# run them against the test control plane.
#
#   hack/build-flux.sh              build what is missing, print the directory
#   hack/build-flux.sh --print-dir  print the directory, build nothing
#
# To move to other releases, see tools/flux/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/tools/flux"
controllers=(source-controller helm-controller)

# required_version MODULE prints the version tools/flux/go.mod requires.
required_version() {
	awk -v m="$1" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$mod/go.mod"
}

name=""
for c in "${controllers[@]}"; do
	v="$(required_version "github.com/fluxcd/$c")"
	if [[ -z "$v" ]]; then
		echo "error: tools/flux/go.mod must require github.com/fluxcd/$c" >&2
		exit 1
	fi
	name+="${name:+_}$c-$v"
done
dir="$root/.cache/flux/$name"

if [[ "${1:-}" == "--print-dir" ]]; then
	echo "$dir"
	exit 0
elif [[ $# -gt 0 ]]; then
	echo "usage: hack/build-flux.sh [--print-dir]" >&2
	exit 2
fi

# A change to go.mod or go.sum (a replace, say) rebuilds too.
source_sum="$(cd "$mod" && cat go.mod go.sum | sha256sum | cut -d' ' -f1)"
complete=1
for c in "${controllers[@]}"; do
	[[ -x "$dir/$c" ]] || complete=0
done
if [[ "$complete" == 1 && -d "$dir/crds" && "$(cat "$dir/.source-sum" 2>/dev/null)" == "$source_sum" ]]; then
	echo "flux $name: $dir" >&2
	echo "$dir"
	exit 0
fi

# Build into a scratch directory and move it into place whole, so that an interrupted or a
# concurrent build never leaves a half-written directory behind.
mkdir -p "$root/.cache/flux"
tmp="$(mktemp -d "$root/.cache/flux/.build-XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "building flux $name from Go modules; a cold build takes minutes" >&2
start=$SECONDS
(
	export GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
	cd "$mod"
	go mod download github.com/fluxcd/source-controller github.com/fluxcd/helm-controller
	echo "modules downloaded after $((SECONDS - start))s" >&2
	go build -trimpath -ldflags "-s -w" -o "$tmp/" "${controllers[@]/#/github.com/fluxcd/}"
	# The CRDs of the same releases, as their modules ship them.
	mkdir "$tmp/crds"
	for c in "${controllers[@]}"; do
		src="$(go list -m -f '{{.Dir}}' "github.com/fluxcd/$c")/config/crd/bases"
		cp "$src"/*.yaml "$tmp/crds/"
	done
	chmod 644 "$tmp/crds/"*.yaml
)
for c in "${controllers[@]}"; do
	[[ -s "$tmp/$c" ]] || { echo "error: build produced no $c" >&2; exit 1; }
done
echo "$source_sum" >"$tmp/.source-sum"

rm -rf "$dir" # built from other sources (running copies keep working)
if ! mv -T "$tmp" "$dir" 2>/dev/null && [[ ! -x "$dir/helm-controller" ]]; then
	echo "error: could not move the build into $dir" >&2
	exit 1
fi
echo "built flux $name in $((SECONDS - start))s: $dir" >&2
echo "$dir"
