#!/usr/bin/env bash
# Regenerates docs/screenshots/: runs the desktop app's end-to-end test (src-tauri/tests/e2e.rs)
# under Xvfb with TRELLIS_SCREENSHOTS set, so the real app (WebKitGTK webview, bundled engine)
# is photographed through WebDriver: the palette-built journey and its Drafts panel, then the welcome template in the
# design, simulate (with results), review (diff) and monitor screens, in Chinese (design.png, ...) and in English
# (design-en.png, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/desktop-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
(
  cd ui
  [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null
  npm run build >/dev/null
)
mkdir -p docs/screenshots
TRELLIS_SCREENSHOTS="$PWD/docs/screenshots" TRELLIS_E2E_REQUIRED=1 \
  xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test --locked -p trellis-app --test e2e -- --nocapture
ls -l docs/screenshots
