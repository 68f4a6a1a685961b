#!/usr/bin/env bash
# Rebuild govuk-frontend.min.css from the pinned packages (needs Node and the npm registry).
# Not needed at run time: the compiled CSS is committed beside this folder.
set -euo pipefail
GOVUK_VERSION=6.6.0
SASS_VERSION=1.108.2
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"private":true}' > package.json
npm install --silent --no-audit --no-fund "govuk-frontend@$GOVUK_VERSION" "sass@$SASS_VERSION"
npx sass --style=compressed --no-source-map --quiet-deps \
  --load-path=node_modules/govuk-frontend/dist \
  "$here/govuk.scss" "$here/../govuk-frontend.min.css"
echo "govuk-frontend $GOVUK_VERSION, compiled with sass $SASS_VERSION: system font stack, no GOV.UK font or crown" > "$here/../VERSION"
