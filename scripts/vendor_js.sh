#!/usr/bin/env bash
# Vendors the console's browser libraries from the npm registry (no CDN at run time):
# Chart.js's UMD build into handoff/static/vendor/. Re-runs only when the pinned version
# changes. Not committed (.gitignore): `make setup` / `make test` / `make demo` fetch it.
set -euo pipefail
cd "$(dirname "$0")/.."

CHARTJS_VERSION=4.5.1
dest=handoff/static/vendor
stamp="$dest/.chartjs-$CHARTJS_VERSION"
[ -f "$stamp" ] && [ -f "$dest/chart.umd.min.js" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "ERROR: npm is needed to vendor Chart.js (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "chart.js@$CHARTJS_VERSION" --silent >/dev/null)
tar -xzf "$tmp"/chart.js-"$CHARTJS_VERSION".tgz -C "$tmp" package/dist/chart.umd.min.js package/LICENSE.md
mkdir -p "$dest"
rm -f "$dest"/.chartjs-*
cp "$tmp/package/dist/chart.umd.min.js" "$dest/chart.umd.min.js"
cp "$tmp/package/LICENSE.md" "$dest/chart.js.LICENSE.md"
touch "$stamp"
echo ">> vendored Chart.js $CHARTJS_VERSION into $dest"
