#!/usr/bin/env bash
# Installs what runtara needs on a fresh machine, each thing only when missing:
# the wasm32-wasip2 Rust target, and from crates.io the wasmtime CLI (pinned to
# the 48.x family, like the host) and wasm-tools (only the subcommands we use).
set -euo pipefail

WASMTIME_VERSION=48.0.8

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  echo "==> rustup target add wasm32-wasip2"
  rustup target add wasm32-wasip2
fi

if ! command -v wasmtime >/dev/null || [[ "$(wasmtime --version)" != "wasmtime $WASMTIME_VERSION"* ]]; then
  echo "==> cargo install wasmtime-cli@$WASMTIME_VERSION (about 9 minutes on 2 cores, once)"
  cargo install --locked "wasmtime-cli@$WASMTIME_VERSION"
fi

if ! command -v wasm-tools >/dev/null; then
  echo "==> cargo install wasm-tools (validate, print and component only: about 2 minutes, once)"
  cargo install --locked wasm-tools --no-default-features --features validate,print,component
fi
