#!/usr/bin/env bash
# Debian packages the project needs from the system, installed once (quick when present):
# - chromium: the browser tests drive Debian's Chromium (Playwright cannot download its own);
# - Pango, HarfBuzz subsetting and fontconfig: WeasyPrint renders the PDFs with them;
# - DejaVu fonts: Cyrillic text in PDFs and charts (no web fonts, no network at run time).
# `--no-browser` (used by `make run`) skips Chromium: only the tests need it.
set -euo pipefail
PACKAGES=(fonts-dejavu-core fontconfig libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
missing=()
if [ "${1:-}" != "--no-browser" ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  missing+=(chromium)
fi
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "==> Installing Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
