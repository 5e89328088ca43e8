#!/usr/bin/env bash
# Regenerates internal/importer/cdk/testdata/cdk.out, the fixtures of kaji import --from-cdk:
# installs the npm packages that internal/importer/cdk/testdata/app pins into .cache/cdk,
# synthesizes the app there with the real cdk CLI, and copies back only the templates, the
# asset manifests and manifest.json. Needs Node and npm; no AWS account or credentials.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
app="$root/internal/importer/cdk/testdata/app"
out="$root/internal/importer/cdk/testdata/cdk.out"
work="$root/.cache/cdk"

command -v npm >/dev/null || { echo "cdk-fixtures: npm is needed (Node 20 or later)" >&2; exit 1; }

mkdir -p "$work"
cp "$app/package.json" "$app/package-lock.json" "$app/app.js" "$app/cdk.json" "$work/"
rm -rf "$work/charts" "$work/cdk.out"
cp -R "$app/charts" "$work/charts"

(cd "$work" && npm ci --no-audit --no-fund --loglevel=error)

# No credentials and no AWS configuration reach the synthesis: the app uses no lookups, so
# nothing may depend on an account.
(cd "$work" && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	-u AWS_PROFILE -u AWS_REGION -u AWS_DEFAULT_REGION \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	CDK_DISABLE_CLI_TELEMETRY=true \
	npx --no-install cdk synth --quiet --no-notices --no-version-reporting --output cdk.out >synth.log 2>&1) ||
	{ cat "$work/synth.log" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
# The same files of the nested assemblies that stages make.
(cd "$work/cdk.out" && find . \( -name manifest.json -o -name '*.template.json' -o -name '*.assets.json' \) \
	-not -path './asset.*' -print0 | while IFS= read -r -d '' f; do
	mkdir -p "$out/$(dirname "$f")"
	cp "$f" "$out/$f"
done)
echo "cdk-fixtures: wrote $(find "$out" -type f | wc -l) files to ${out#"$root"/}"
