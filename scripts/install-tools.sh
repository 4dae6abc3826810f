#!/usr/bin/env bash
# Installs what runtara needs on a fresh machine, each thing only when missing:
# the wasm32-wasip2 Rust target and this machine's musl target (static native
# binaries), and from crates.io the wasmtime CLI (pinned to the 48.x family, like
# the host) and wasm-tools (only the subcommands we use); from Debian, musl-tools
# (musl-gcc, for the C code of static binaries), openssh-server, postgresql and
# docker-registry (tests run a real sshd, PostgreSQL and OCI registry); from PyPI,
# oras (a standard OCI client the registry's tests exchange components with) and
# bcrypt (for a password-protected docker-registry).
set -euo pipefail

WASMTIME_VERSION=48.0.8

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  echo "==> rustup target add wasm32-wasip2"
  rustup target add wasm32-wasip2
fi

# `runtara compile --target native` links statically for this target when it is here.
MUSL_TARGET="$(uname -m)-unknown-linux-musl"
if [[ "$(uname -s)" == Linux && "$(uname -m)" =~ ^(x86_64|aarch64)$ ]] &&
  ! rustup target list --installed | grep -qx "$MUSL_TARGET"; then
  echo "==> rustup target add $MUSL_TARGET"
  rustup target add "$MUSL_TARGET"
fi

# The embedded target (`runtara compile --target embedded`): Cortex-M4F firmware.
if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  echo "==> rustup target add thumbv7em-none-eabihf"
  rustup target add thumbv7em-none-eabihf
fi

if ! command -v wasmtime >/dev/null || [[ "$(wasmtime --version)" != "wasmtime $WASMTIME_VERSION"* ]]; then
  echo "==> cargo install wasmtime-cli@$WASMTIME_VERSION (about 9 minutes on 2 cores, once)"
  cargo install --locked "wasmtime-cli@$WASMTIME_VERSION"
fi

if ! command -v wasm-tools >/dev/null; then
  echo "==> cargo install wasm-tools (validate, print and component only: about 2 minutes, once)"
  cargo install --locked wasm-tools --no-default-features --features validate,print,component
fi

# Debian packages some tests need, installed with apt-get (as root, or with sudo).
apt_install() {
  local package=$1 why=$2
  echo "==> apt-get install $package ($why)"
  local apt=()
  if [[ "$(id -u)" == 0 ]]; then
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  elif command -v sudo >/dev/null; then
    apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
  fi
  if [[ ${#apt[@]} == 0 ]] || ! command -v apt-get >/dev/null; then
    echo "warning: cannot install $package (needs apt-get, and root or sudo), for $why: under CI those tests fail, elsewhere they are skipped" >&2
  elif ! "${apt[@]}" install -y --no-install-recommends "$package"; then
    # A fresh machine may have no package lists yet.
    echo "==> apt-get update, then apt-get install $package again"
    "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "$package" ||
      echo "warning: installing $package failed, for $why: under CI those tests fail, elsewhere they are skipped" >&2
  fi
}

if ! command -v musl-gcc >/dev/null; then
  apt_install musl-tools "static native binaries: ring and SQLite compile C with musl-gcc"
fi
if [[ ! -x /usr/sbin/sshd ]]; then
  apt_install openssh-server "tests/sftp_agent.rs, which runs a real sshd"
fi
# From PyPI, for tests/registry.rs: oras (the ORAS project's Python client) for the
# interop test, bcrypt for the password file of a protected docker-registry, and
# PyJWT with cryptography for tests/token_service.py, the token service of a
# docker-registry that wants bearer tokens; and kubernetes-validate, which checks
# deploy/kubernetes/ against the Kubernetes API schemas it carries (offline), for
# tests/core_service.rs; into target/tools/python, which the tests put on PYTHONPATH.
PYTHON_TOOLS="$(dirname "$0")/../target/tools/python"
if [[ ! -d "$PYTHON_TOOLS/oras" || ! -d "$PYTHON_TOOLS/bcrypt" || ! -d "$PYTHON_TOOLS/jwt" || ! -d "$PYTHON_TOOLS/cryptography" || ! -d "$PYTHON_TOOLS/kubernetes_validate" ]]; then
  echo "==> pip install oras bcrypt PyJWT cryptography kubernetes-validate (into target/tools/python)"
  python3 -m pip install --quiet --disable-pip-version-check --upgrade --target "$PYTHON_TOOLS" \
    "oras==0.2.43" "bcrypt==4.3.0" "PyJWT==2.12.1" "cryptography==46.0.7" "kubernetes-validate==1.37.0" ||
    echo "warning: installing the Python test tools failed, for tests/registry.rs and tests/core_service.rs: under CI those tests fail, elsewhere they are skipped" >&2
fi

if [[ ! -x /usr/bin/docker-registry ]]; then
  apt_install docker-registry "tests/registry.rs, which publishes to the reference OCI registry"
fi
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  apt_install postgresql "tests/core_service.rs, which runs a real PostgreSQL"
fi

# The embedded target's tests (tests/embedded.rs) run firmware on QEMU's mps2-an386.
if ! command -v qemu-system-arm >/dev/null; then
  apt_install qemu-system-arm "tests/embedded.rs, which runs firmware under QEMU"
fi

# The browser target's tests (tests/browser.rs): Debian's Chromium, and from npm
# puppeteer-core (drives it) and the WASI shim the transpiled components run on,
# into target/tools/node.
if [[ ! -x /usr/bin/chromium ]]; then
  apt_install chromium "tests/browser.rs, which runs scenarios in a real Chromium"
fi
NODE_TOOLS="$(dirname "$0")/../target/tools/node"
NODE_PACKAGES=(puppeteer-core@24.43.1 @bytecodealliance/preview2-shim@0.26.1)
if ! command -v npm >/dev/null; then
  apt_install npm "tests/browser.rs, which installs its browser driver from npm"
fi
if command -v npm >/dev/null && [[ "$(cat "$NODE_TOOLS/installed" 2>/dev/null)" != "${NODE_PACKAGES[*]}" ]]; then
  echo "==> npm install ${NODE_PACKAGES[*]} (into target/tools/node)"
  mkdir -p "$NODE_TOOLS"
  [[ -f "$NODE_TOOLS/package.json" ]] || echo '{"private": true}' >"$NODE_TOOLS/package.json"
  if npm install --prefix "$NODE_TOOLS" --no-audit --no-fund --silent "${NODE_PACKAGES[@]}"; then
    echo "${NODE_PACKAGES[*]}" >"$NODE_TOOLS/installed"
  else
    echo "warning: installing the npm test tools failed, for tests/browser.rs: under CI those tests fail, elsewhere they are skipped" >&2
  fi
fi
