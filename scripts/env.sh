#!/usr/bin/env bash
# Set up the project's environment on a fresh machine: uv, a Python >= 3.12, the locked packages.
# Sourced by the Makefile's targets; safe to run again (each step is skipped when done).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  # An explicit choice wins; then PATH; then pyenv's installed versions (not on PATH here).
  if [ -n "${UV_PYTHON:-}" ] && python_ok "$UV_PYTHON"; then echo "$UV_PYTHON"; return; fi
  for name in python3.13 python3.12 python3; do
    if command -v "$name" >/dev/null 2>&1 && python_ok "$(command -v "$name")"; then
      command -v "$name"; return
    fi
  done
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for candidate in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
    for exe in "$candidate"/bin/python3.1[2-9]; do
      if [ -x "$exe" ] && python_ok "$exe"; then echo "$exe"; return; fi
    done
  done
  echo ""  # none found: uv may download one where the network allows it
}

ensure_uv() {
  if command -v uv >/dev/null 2>&1; then return; fi
  export PATH="$HOME/.local/bin:$PATH"
  if command -v uv >/dev/null 2>&1; then return; fi
  log "Installing uv from PyPI"
  local boot
  boot=$(command -v python3 || command -v python)
  "$boot" -m pip install --quiet --user uv 2>/dev/null \
    || "$boot" -m pip install --quiet uv 2>/dev/null \
    || "$boot" -m pip install --quiet --break-system-packages --user uv
  hash -r
  command -v uv >/dev/null 2>&1 || export PATH="$("$boot" -m site --user-base)/bin:$PATH"
}

ensure_uv
PYTHON_FOR_UV=$(find_python)
if [ -n "$PYTHON_FOR_UV" ]; then
  export UV_PYTHON="$PYTHON_FOR_UV"
else
  log "No Python >= 3.12 found locally; letting uv fetch one"
  unset UV_PYTHON
fi
log "Installing Python packages (uv sync, Python: ${UV_PYTHON:-uv-managed})"
uv sync --frozen --quiet
