#!/usr/bin/env bash
# Builds kaji for each GOOS/GOARCH given into dist/kaji_<version>_<os>_<arch>, stripped and
# static (CGO_ENABLED=0, -trimpath), with the version stamped, then writes dist/SHA256SUMS and
# prints each binary's size. Run through `make release` (VERSION and PLATFORMS are its variables).
#
#   hack/release.sh VERSION OS/ARCH...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $# -lt 2 ]]; then
	echo "usage: hack/release.sh VERSION OS/ARCH..." >&2
	exit 2
fi
version="$1"
shift
mkdir -p dist
names=()
for platform in "$@"; do
	os="${platform%/*}"
	arch="${platform#*/}"
	if [[ -z "$os" || -z "$arch" || "$os" == "$platform" ]]; then
		echo "error: platform $platform: want OS/ARCH, such as linux/amd64" >&2
		exit 2
	fi
	name="kaji_${version}_${os}_${arch}"
	echo "building $name" >&2
	GOOS="$os" GOARCH="$arch" CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X kaji.dev/kaji/internal/version.Version=$version" \
		-o "dist/$name" ./cmd/kaji
	names+=("$name")
done
(cd dist && sha256sum "${names[@]}" >SHA256SUMS)
printf '%-45s %12s\n' binary bytes
for n in "${names[@]}"; do
	printf '%-45s %12s\n' "$n" "$(stat -c %s "dist/$n")"
done
