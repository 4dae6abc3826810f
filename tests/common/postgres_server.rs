//! A throwaway PostgreSQL server on loopback for the core's tests: Debian's
//! PostgreSQL binaries (`scripts/install-tools.sh` installs them), a new cluster in
//! a temporary directory, trust authentication, stopped when dropped.
//!
//! PostgreSQL refuses to run as root, so as root the cluster belongs to the
//! `postgres` user the Debian package creates.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Postgres {
    child: Child,
    _dir: tempfile::TempDir,
    /// `postgres://runtara@127.0.0.1:<port>/postgres`.
    pub url: String,
}

/// The directory of Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`).
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `program` run as the cluster's owner: `postgres` when we are root, else ourselves.
fn as_owner(program: &Path, as_root: bool) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.arg("-u").arg("postgres").arg("--").arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Starts a server, or returns `None` (after saying so loudly) when PostgreSQL is
    /// not installed; under CI (`CI` set) that is a failure instead.
    pub fn start() -> Option<Self> {
        let Some(bin) = binaries() else {
            let why = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); \
                       scripts/install-tools.sh installs Debian's postgresql";
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("SKIPPED: {why}");
            return None;
        };
        let as_root = is_root();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        if as_root {
            let status = Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster directory failed");
        }
        let initdb = as_owner(&bin.join("initdb"), as_root)
            .arg("-D")
            .arg(&data)
            .arg("-U")
            .arg("runtara")
            .arg("--auth=trust")
            .arg("--no-sync")
            .output()
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = as_owner(&bin.join("postgres"), as_root)
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(dir.path())
            .arg("-c")
            .arg("listen_addresses=127.0.0.1")
            .arg("-c")
            .arg("fsync=off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        let started = Instant::now();
        let ready = || {
            Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|status| status.success())
        };
        while !ready() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "postgres did not accept connections on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Self {
            child,
            _dir: dir,
            url: format!("postgres://runtara@127.0.0.1:{port}/postgres"),
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // `runuser` passes the signal on; postgres shuts down on SIGTERM.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
