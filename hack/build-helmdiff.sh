#!/usr/bin/env bash
# Builds the helm-diff plugin (tools/helmdiff) into the helm plugin directory
# .cache/helm-plugins (its binary in diff/bin/diff, beside the module's plugin.yaml), only when
# it is missing or of another version, and prints that directory, for HELM_PLUGINS. Needs
# nothing but Go. For the benchmarks only (`helmfile diff` beside `kaji plan`). Never committed.
#
# The plugin is copied into place, not installed with `helm plugin install`: that would run the
# plugin's install hook, which downloads a release binary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/tools/helmdiff"
plugins="$root/.cache/helm-plugins"
dir="$plugins/diff"
module=github.com/databus23/helm-diff/v3

version="$(awk -v m="$module" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m { print $2; exit }' "$mod/go.mod")"
if [[ -z "$version" ]]; then
	echo "error: tools/helmdiff/go.mod requires no $module" >&2
	exit 1
fi
stamp="$dir/version"
if [[ -x "$dir/bin/diff" && -f "$dir/plugin.yaml" && -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$version" ]]; then
	echo "helm-diff $version: $dir" >&2
	echo "$plugins"
	exit 0
fi

echo "building helm-diff $version from Go modules (a few minutes the first time)" >&2
start=$SECONDS
mkdir -p "$plugins"
tmp="$(mktemp -d "$plugins/.diff-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
(
	cd "$mod"
	export GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
	go build -trimpath -ldflags "-s -w" -o "$tmp/bin/diff" "$module"
	src="$(go list -m -f '{{.Dir}}' "$module")"
	cp "$src/plugin.yaml" "$tmp/plugin.yaml"
	chmod u+w "$tmp/plugin.yaml"
)
echo "$version" >"$tmp/version"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "built helm-diff $version in $((SECONDS - start))s: $dir" >&2
echo "$plugins"
