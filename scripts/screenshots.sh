#!/usr/bin/env bash
# Regenerates docs/screenshots/: starts `trellis serve` on a scratch SQLite database and the UI's
# dev server against it, and photographs the app in headless Chromium (Debian's `chromium`).
# So far the design view only; the other screens need clicks (tauri-driver e2e, issue 5).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
cargo build -q -p trellis-cli
T=${CARGO_TARGET_DIR:-/var/tmp/trellis-target}/debug/trellis
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
ADM=$($T token create --db "sqlite://$W/s.db" --role admin --name screenshots)
$T serve --db "sqlite://$W/s.db" --listen 127.0.0.1:18190 > "$W/serve.log" 2>&1 &
(cd ui && [ -d node_modules ] || npm install --no-audit --no-fund >/dev/null)
(cd ui && TRELLIS_ENGINE=http://127.0.0.1:18190 VITE_TRELLIS_URL=http://127.0.0.1:5190 \
  VITE_TRELLIS_TOKEN=$ADM npx vite --port 5190 --strictPort > "$W/vite.log" 2>&1) &
for _ in $(seq 60); do curl -sf http://127.0.0.1:5190/ >/dev/null && break; sleep 0.5; done
shot() { # name url
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$W/chrome-$1" --window-size=1400,900 --virtual-time-budget=10000 \
    --screenshot="docs/screenshots/$1.png" "$2" 2>/dev/null
}
shot design "http://127.0.0.1:5190/"
echo "wrote docs/screenshots/design.png"
