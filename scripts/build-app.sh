#!/usr/bin/env bash
# Builds the desktop app: the UI into ui/dist (embedded by the Rust build, which fails without
# it), then `trellis-app` with the UI embedded (the crate's default `custom-protocol` feature,
# i.e. tauri/custom-protocol). Prints the binary's path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TRELLIS_SKIP_UI_BUILD:-}" != 1 ]; then
  (
    cd ui
    if [ ! -d node_modules ]; then
      # npm ci refuses the lock here (rollup's other-platform builds); see ui/scripts/test.sh.
      npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null
    fi
    npm run build >/dev/null
  )
fi
cargo build --locked -p trellis-app --features tauri/custom-protocol >&2
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
echo "$target/debug/trellis-app"
