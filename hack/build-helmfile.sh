#!/usr/bin/env bash
# Builds helmfile (tools/helmfile) into .cache/bin/helmfile, only when it is missing or of
# another version, and prints its path. Needs nothing but Go. For the benchmarks only
# (`helmfile sync` beside `kaji apply`); helmfile runs the helm CLI that hack/build-helm.sh
# builds. Never committed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/tools/helmfile"
out="$root/.cache/bin/helmfile"

version="$(awk '$1 == "require" { $1 = ""; $0 = $0 } $1 == "github.com/helmfile/helmfile" { print $2; exit }' "$mod/go.mod")"
stamp="$out.version"
if [[ -x "$out" && -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$version" ]]; then
	echo "helmfile $version: $out" >&2
	echo "$out"
	exit 0
fi

echo "building helmfile $version from Go modules (a few minutes the first time)" >&2
start=$SECONDS
mkdir -p "$root/.cache/bin"
tmp="$(mktemp "$root/.cache/bin/.helmfile-XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(
	cd "$mod"
	export GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
	go build -trimpath -ldflags "-s -w -X go.szostok.io/version.version=${version#v}" -o "$tmp" github.com/helmfile/helmfile
)
mv -f "$tmp" "$out"
echo "$version" >"$stamp"
echo "built helmfile $version in $((SECONDS - start))s: $out" >&2
echo "$out"
