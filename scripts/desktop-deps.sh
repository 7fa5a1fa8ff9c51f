#!/usr/bin/env bash
# Installs what the desktop app needs to build, run and be tested here (Debian 12; the recipe in
# shared/recipes/tauri-linux.md): WebKitGTK and GTK headers, Xvfb, WebKitWebDriver, ImageMagick,
# CJK fonts, openssl (the https test makes a certificate), and tauri-driver. Only what is missing; `apt-get update` once before installing.
set -euo pipefail
pkgs=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  libssl-dev openssl ca-certificates build-essential pkg-config file xvfb xauth webkit2gtk-driver
  imagemagick x11-utils
  fonts-dejavu-core fonts-noto-cjk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "== cargo install tauri-driver 2.1.0"
  # Its own target dir, so the workspace's stays as it is.
  CARGO_TARGET_DIR="${TMPDIR:-/tmp}/tauri-driver-build" cargo install tauri-driver --version 2.1.0 --locked --quiet
fi
