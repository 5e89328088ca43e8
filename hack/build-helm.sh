#!/usr/bin/env bash
# Builds the Helm v4 CLI (tools/helmcli: the Helm version kaji's SDK uses) into
# .cache/bin/helm, only when it is missing, and prints its path. Needs nothing but Go.
# Used by the import tests (releases that helm made, for kaji import to take over) and the
# benchmarks; never committed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/tools/helmcli"
out="$root/.cache/bin/helm"

version="$(awk '$1 == "require" { $1 = ""; $0 = $0 } $1 == "helm.sh/helm/v4" { print $2; exit }' "$mod/go.mod")"
want="$(awk '$1 == "require" { $1 = ""; $0 = $0 } $1 == "helm.sh/helm/v4" { print $2; exit }' "$root/go.mod")"
if [[ -n "$want" && "$version" != "$want" ]]; then
	echo "error: tools/helmcli/go.mod has Helm $version but kaji uses $want; run: (cd tools/helmcli && go get helm.sh/helm/v4@$want && go mod tidy)" >&2
	exit 1
fi

# A helm of another version left by an older build is replaced.
if [[ -x "$out" ]] && "$out" version --template '{{.Version}}' 2>/dev/null | grep -qxF "$version"; then
	echo "helm $version: $out" >&2
	echo "$out"
	exit 0
fi

echo "building helm $version from Go modules" >&2
start=$SECONDS
mkdir -p "$root/.cache/bin"
tmp="$(mktemp "$root/.cache/bin/.helm-XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(
	cd "$mod"
	export GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
	go build -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
		-o "$tmp" helm.sh/helm/v4/cmd/helm
)
mv -f "$tmp" "$out"
echo "built helm $version in $((SECONDS - start))s: $out" >&2
echo "$out"
