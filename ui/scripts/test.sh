#!/usr/bin/env bash
# The UI's checks: install the locked dependencies, type-check, test, build. Fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
  # `npm ci` refuses a lock whose optional platform packages (rollup's builds for other systems)
  # the registry mirror here does not carry; `npm install` then installs the same locked versions.
  if ! npm ci --no-audit --no-fund; then
    echo "npm ci failed; installing the locked versions with npm install" >&2
    npm install --no-audit --no-fund
  fi
else
  npm install --no-audit --no-fund
fi
npm run typecheck
results=node_modules/.vitest-results.json
npm test -- --reporter=default --reporter=json --outputFile="$results"
# One plain closing line for CI readers that do not know vitest's summary.
node -e 'const r = require(process.argv[1]); console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$PWD/$results"
npm run build
