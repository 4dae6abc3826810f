#!/usr/bin/env bash
# Installs what runtara needs on a fresh machine, each thing only when missing:
# the wasm32-wasip2 Rust target, and from crates.io the wasmtime CLI (pinned to
# the 48.x family, like the host) and wasm-tools (only the subcommands we use);
# from Debian, openssh-server (the sftp agent's tests run a real sshd).
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

# The sftp agent's tests (tests/sftp_agent.rs) run against a real OpenSSH server.
if [[ ! -x /usr/sbin/sshd ]]; then
  echo "==> apt-get install openssh-server (for the sftp agent's tests)"
  apt=()
  if [[ "$(id -u)" == 0 ]]; then
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  elif command -v sudo >/dev/null; then
    apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
  fi
  if [[ ${#apt[@]} == 0 ]] || ! command -v apt-get >/dev/null; then
    echo "warning: cannot install openssh-server (needs apt-get, and root or sudo): the sftp agent's tests will fail under CI and be skipped elsewhere" >&2
  elif ! "${apt[@]}" install -y --no-install-recommends openssh-server; then
    # A fresh machine may have no package lists yet.
    echo "==> apt-get update, then apt-get install openssh-server again"
    "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends openssh-server ||
      echo "warning: installing openssh-server failed: the sftp agent's tests will fail under CI and be skipped elsewhere" >&2
  fi
fi
