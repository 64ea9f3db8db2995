#!/usr/bin/env bash
# Installs what the desktop tests need, if missing: Tauri's system
# libraries, WebKitWebDriver, Xvfb, ImageMagick (screenshots), xdotool (the
# native file dialogs), tauri-driver,
# and the UI's npm packages.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for p in libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev \
         build-essential pkg-config webkit2gtk-driver xvfb imagemagick xdotool; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing: ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi

if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked
fi

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>22||(a===20&&b>=19)||(a===22&&b>=12)?"yes":"no")' 2>/dev/null || echo no)
if [ "$node_ok" != yes ]; then
  echo "Node.js $(node --version 2>/dev/null || echo absent) est trop ancien pour Vite 8 : installez Node 20.19 ou plus récent (https://nodejs.org ou NodeSource), puis relancez." >&2
  echo "Node.js $(node --version 2>/dev/null || echo absent) is too old for Vite 8: install Node 20.19 or newer (https://nodejs.org or NodeSource), then run again." >&2
  exit 1
fi
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: Vite 8 lists an optional Windows-only
  # package that the registry does not serve, which `npm ci` refuses as "missing from
  # the lock file". With the lock file present, `npm install` installs the
  # locked versions.
  (cd ui && npm install --no-audit --no-fund)
fi
