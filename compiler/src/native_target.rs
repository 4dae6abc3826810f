//! Which Rust target a native build uses: the musl target of this machine, for a
//! statically linked binary that runs on any Linux of the same architecture,
//! when its standard library and a musl C compiler are installed; else this
//! machine's own target, with the reason it is not static.

use std::path::PathBuf;
use std::process::Command;

/// How a native binary is linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeLinking {
    /// Statically, for this Rust target (`x86_64-unknown-linux-musl`).
    Static { target: String },
    /// Against this machine's C library, for this reason.
    Dynamic { reason: String },
}

impl NativeLinking {
    /// The `--target` to build for; `None` is this machine's own.
    pub fn rust_target(&self) -> Option<&str> {
        match self {
            Self::Static { target } => Some(target),
            Self::Dynamic { .. } => None,
        }
    }
}

/// Picks how to link a native binary on this machine.
pub fn choose() -> NativeLinking {
    let arch = std::env::consts::ARCH;
    if std::env::consts::OS != "linux" || !matches!(arch, "x86_64" | "aarch64") {
        return NativeLinking::Dynamic {
            reason: format!(
                "static binaries are built for Linux on x86_64 and aarch64, not {}-{arch}",
                std::env::consts::OS
            ),
        };
    }
    let target = format!("{arch}-unknown-linux-musl");
    if !target_installed(&target) {
        return NativeLinking::Dynamic {
            reason: format!(
                "the Rust target {target} is not installed (`rustup target add {target}`)"
            ),
        };
    }
    // ring and SQLite compile C code, which the musl target needs a musl compiler for.
    let compilers = [format!("{arch}-linux-musl-gcc"), "musl-gcc".to_owned()];
    if !compilers.iter().any(|compiler| on_path(compiler)) {
        return NativeLinking::Dynamic {
            reason:
                "no musl C compiler (musl-gcc) is installed (Debian: `apt-get install musl-tools`)"
                    .to_owned(),
        };
    }
    NativeLinking::Static { target }
}

/// Whether the standard library of `target` is in the sysroot of the `rustc`
/// cargo runs.
pub(crate) fn target_installed(target: &str) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    output.status.success()
        && sysroot
            .join("lib/rustlib")
            .join(target)
            .join("lib")
            .is_dir()
}

/// Whether a file `name` is in a directory of `$PATH`.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}
