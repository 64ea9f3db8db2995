#!/usr/bin/env bash
# Installs what the desktop tests need, if missing: Tauri's system
# libraries, WebKitWebDriver, Xvfb, ImageMagick (screenshots), xdotool (the
# native file dialogs), tauri-driver,
# and the UI's npm packages.
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/setup-debian.sh
sesame_desktop_deps webkit2gtk-driver xvfb imagemagick xdotool

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked
fi
