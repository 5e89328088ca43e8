#!/usr/bin/env bash
# Builds the local control plane -- kube-apiserver, etcd and kubectl, and for tests that run
# workloads kube-controller-manager, kube-scheduler and kwok with its default stages
# (kwok-stages.yaml) -- from Go modules (tools/controlplane, tools/kwok) into
# .cache/controlplane/<tools/controlplane/VERSIONS>/, only what is missing there or what
# tools/controlplane or tools/kwok changed since, then prints that directory.
# Needs nothing but Go.
#
#   hack/build-controlplane.sh              build everything the tests need, print the directory
#   hack/build-controlplane.sh demo         build only what the demo and the dev cluster need
#                                           (kube-apiserver, etcd, kubectl): a cold build takes
#                                           about half the time of the whole set
#   hack/build-controlplane.sh --print-dir  print the directory, build nothing
#
# Versions live in tools/controlplane/go.mod. To move to another release, update k8s.io/kubernetes
# and etcd there (with every k8s.io staging replace at the matching v0.x.y), then write the
# new directory name into tools/controlplane/VERSIONS: this script says which if they differ.
# kwok's version lives in tools/kwok/go.mod, a module of its own: kwok requires k8s.io/* at
# another minor than k8s.io/kubernetes does.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/tools/controlplane"
kwokmod="$root/tools/kwok"
set_name="${1:-all}"
case "$set_name" in
all | --print-dir)
	k8sbins=(kube-apiserver etcd kubectl kube-controller-manager kube-scheduler)
	with_kwok=1
	;;
demo)
	k8sbins=(kube-apiserver etcd kubectl)
	with_kwok=0
	;;
*)
	echo "usage: hack/build-controlplane.sh [all|demo|--print-dir]" >&2
	exit 2
	;;
esac

# required_version MODULE prints the version tools/controlplane/go.mod requires.
required_version() {
	awk -v m="$1" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m { print $2; exit }' "$mod/go.mod"
}

k8s="$(required_version k8s.io/kubernetes)"
etcd="$(required_version go.etcd.io/etcd/server/v3)"
if [[ -z "$k8s" || -z "$etcd" ]]; then
	echo "error: tools/controlplane/go.mod must require k8s.io/kubernetes and go.etcd.io/etcd/server/v3" >&2
	exit 1
fi
staging="v0.${k8s#v1.}" # k8s.io/kubernetes v1.37.1 <-> k8s.io/api v0.37.1
if stale="$(grep -E '^\s*k8s\.io/\S+ => k8s\.io/\S+ v' "$mod/go.mod" | grep -vE " ${staging//./\\.}\$")"; then
	echo "error: tools/controlplane/go.mod: these staging replaces do not point at $staging:" >&2
	echo "$stale" >&2
	exit 1
fi

name="k8s-${k8s#v}_etcd-${etcd#v}"
listed="$(tr -d '[:space:]' <"$mod/VERSIONS")"
if [[ "$listed" != "$name" ]]; then
	echo "error: tools/controlplane/VERSIONS says '$listed' but go.mod there builds '$name'; write '$name' into VERSIONS" >&2
	exit 1
fi
dir="$root/.cache/controlplane/$name"

if [[ "${1:-}" == "--print-dir" ]]; then
	echo "$dir"
	exit 0
fi

# A fingerprint of the sources of both modules, so that a change to the mains, or to a
# version in either go.mod, rebuilds too.
source_sum="$(cd "$root/tools" && find controlplane kwok -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
	LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"

# What a build from these sources already holds is kept; a build from other sources is not.
fresh=0
[[ "$(cat "$dir/.source-sum" 2>/dev/null)" == "$source_sum" ]] || fresh=1
missing=()
for b in "${k8sbins[@]}"; do
	[[ "$fresh" == 0 && -x "$dir/$b" ]] || missing+=("$b")
done
need_kwok=0
if [[ "$with_kwok" == 1 ]] && [[ "$fresh" == 1 || ! -x "$dir/kwok" || ! -s "$dir/kwok-stages.yaml" ]]; then
	need_kwok=1
fi
if [[ ${#missing[@]} == 0 && "$need_kwok" == 0 ]]; then
	echo "control plane $name: $dir" >&2
	echo "$dir"
	exit 0
fi

# Build into a scratch directory and move the results into place (a whole directory when the
# sources changed, file by file otherwise), so that an interrupted or a concurrent build never
# leaves a half-written file behind.
mkdir -p "$root/.cache/controlplane"
tmp="$(mktemp -d "$root/.cache/controlplane/.build-XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# What upstream's hack/lib/version.sh stamps, so that the API server reports v1.x.y and not
# v0.0.0-master (Helm reads the server version for .Capabilities and kubeVersion checks).
minor="${k8s#v1.}"
minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

built=("${missing[@]}")
[[ "$need_kwok" == 1 ]] && built+=(kwok kwok-stages.yaml)
echo "building control plane $name (${built[*]}) from Go modules; a cold build takes minutes" >&2
start=$SECONDS
(
	export GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
	cd "$mod"
	go mod download
	echo "modules downloaded after $((SECONDS - start))s" >&2
	if [[ ${#missing[@]} -gt 0 ]]; then
		go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${missing[@]/#/./cmd/}"
	fi
	if [[ "$need_kwok" == 1 ]]; then
		cd "$kwokmod"
		go mod download
		go build -trimpath -ldflags "-s -w" -o "$tmp/" ./cmd/kwok
		# kwok alone has no stages; these are the defaults kwokctl gives it.
		go run -trimpath ./cmd/kwok-stages >"$tmp/kwok-stages.yaml"
	fi
)
for f in "${built[@]}"; do
	[[ -s "$tmp/$f" ]] || { echo "error: build produced no $f" >&2; exit 1; }
done
echo "$source_sum" >"$tmp/.source-sum"

if [[ "$fresh" == 1 ]]; then
	if [[ -d "$dir" ]]; then
		rm -rf "$dir" # built from other sources (running copies keep working)
	fi
	if ! mv -T "$tmp" "$dir" 2>/dev/null && [[ ! -x "$dir/kube-apiserver" ]]; then
		echo "error: could not move the build into $dir" >&2
		exit 1
	fi
else
	for f in "${built[@]}"; do
		mv -f "$tmp/$f" "$dir/$f"
	done
fi
echo "built control plane $name (${built[*]}) in $((SECONDS - start))s: $dir" >&2
echo "$dir"
