#!/usr/bin/env bash
# The UI's checks: install exactly the locked dependencies, type-check, test, build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
npm run typecheck
npm test
npm run build
