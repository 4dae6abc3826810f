//! A real OpenSSH server on loopback for the sftp agent's tests: Debian's
//! `/usr/sbin/sshd`, run in the foreground with a configuration, host key and
//! authorized keys of its own in a temporary directory, serving `internal-sftp` to the
//! current user, and killed when the [`SftpServer`] is dropped.
//!
//! `scripts/install-tools.sh` installs openssh-server where it is missing. Without it a
//! test fails under CI (`CI` set) and is skipped, loudly, elsewhere.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

const SSHD: &str = "/usr/sbin/sshd";

/// sshd's privilege separation directory, which Debian's package creates at boot only.
const PRIVSEP_DIR: &str = "/run/sshd";

/// One running sshd, with the keys and the directory its tests use.
pub struct SftpServer {
    dir: TempDir,
    child: Child,
    pub port: u16,
    /// The login: the user the tests run as.
    pub username: String,
    /// The host key's fingerprint, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    /// The text of a private key the server accepts.
    pub client_key: String,
}

impl SftpServer {
    /// Starts a server, or returns `None` after a `SKIPPED` line when sshd is not
    /// installed (outside CI; under CI that fails the test).
    pub fn start() -> Option<Self> {
        if !Path::new(SSHD).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{SSHD} is missing: scripts/install-tools.sh should have installed \
                 openssh-server, which the sftp agent's tests run against"
            );
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: {SSHD} is missing, so the sftp agent is not tested against a \
                 real server; install openssh-server (scripts/install-tools.sh does) ***\n"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory for sshd");
        let host_key = keygen(dir.path(), "host_key", "");
        let fingerprint = fingerprint(&host_key.with_extension("pub"));
        let client_key = keygen(dir.path(), "client_key", "");
        fs::copy(
            client_key.with_extension("pub"),
            dir.path().join("authorized_keys"),
        )
        .expect("write authorized_keys");
        fs::create_dir(dir.path().join("files")).expect("create the files directory");
        fs::create_dir_all(PRIVSEP_DIR)
            .unwrap_or_else(|e| panic!("sshd needs {PRIVSEP_DIR}, which cannot be created: {e}"));
        let port = free_port();
        let config = write_config(dir.path(), port, &host_key);
        let log = fs::File::create(dir.path().join("sshd.log")).expect("create sshd.log");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        let mut server = Self {
            client_key: fs::read_to_string(&client_key).expect("read the client key"),
            dir,
            child,
            port,
            username: current_user(),
            fingerprint,
        };
        server.wait_until_listening();
        Some(server)
    }

    /// The directory the tests' files live in, on the local disk.
    pub fn files(&self) -> PathBuf {
        self.dir.path().join("files")
    }

    /// The server's path of `relative` inside [`Self::files`] (the same file: the
    /// server runs on this machine, without a chroot).
    pub fn remote(&self, relative: &str) -> String {
        format!("{}/{relative}", self.files().display())
    }

    /// The `connection` input that logs in with the accepted key and checks the host key.
    pub fn connection(&self) -> Value {
        json!({
            "host": "127.0.0.1",
            "port": self.port,
            "username": self.username,
            "private_key": self.client_key,
            "host_key_fingerprint": self.fingerprint,
            "timeout": 20_000,
        })
    }

    /// A new client key `name` (encrypted with `passphrase` unless it is empty), accepted
    /// by the server when `authorized`; its private key's text.
    pub fn client_key(&self, name: &str, passphrase: &str, authorized: bool) -> String {
        let key = keygen(self.dir.path(), name, passphrase);
        if authorized {
            let public = fs::read_to_string(key.with_extension("pub")).expect("read the key");
            let authorized_keys = self.dir.path().join("authorized_keys");
            let mut keys = fs::read_to_string(&authorized_keys).expect("read authorized_keys");
            keys.push_str(&public);
            fs::write(&authorized_keys, keys).expect("write authorized_keys");
        }
        fs::read_to_string(&key).expect("read the client key")
    }

    /// What sshd logged so far, for failure messages.
    pub fn log(&self) -> String {
        let mut log = String::new();
        if let Ok(mut file) = fs::File::open(self.dir.path().join("sshd.log")) {
            let _ = file.read_to_string(&mut log);
        }
        log
    }

    fn wait_until_listening(&mut self) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("sshd exited ({status}) before listening:\n{}", self.log());
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "sshd did not listen on {address} within 10 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SftpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes sshd's configuration for `port` and returns its path. OpenSSH 9.8 and later
/// penalise sources whose logins fail (as the tests' do, on purpose) by refusing them for
/// a while; such versions get `PerSourcePenalties no`, older ones, which would refuse the
/// unknown keyword, do not.
fn write_config(dir: &Path, port: u16, host_key: &Path) -> PathBuf {
    let config = dir.join("sshd_config");
    let base = format!(
        "ListenAddress 127.0.0.1\n\
         Port {port}\n\
         HostKey {host_key}\n\
         AuthorizedKeysFile {authorized_keys}\n\
         StrictModes no\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         PidFile none\n\
         PermitRootLogin prohibit-password\n\
         MaxStartups 100\n\
         MaxSessions 100\n\
         Subsystem sftp internal-sftp\n",
        host_key = host_key.display(),
        authorized_keys = dir.join("authorized_keys").display(),
    );
    fs::write(&config, format!("{base}PerSourcePenalties no\n")).expect("write sshd_config");
    let accepted = Command::new(SSHD)
        .arg("-t")
        .arg("-f")
        .arg(&config)
        .output()
        .is_ok_and(|out| out.status.success());
    if !accepted {
        fs::write(&config, base).expect("write sshd_config");
    }
    config
}

/// Generates an ed25519 key pair `dir/name` (and `.pub`) with `passphrase`.
fn keygen(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-C", name, "-N", passphrase, "-f"])
        .arg(&path));
    path
}

/// The SHA-256 fingerprint of the public key file `public`: `ssh-keygen -lf` prints
/// `256 SHA256:... comment (ED25519)`.
fn fingerprint(public: &Path) -> String {
    let out = run(Command::new("ssh-keygen").arg("-lf").arg(public));
    out.split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no fingerprint in `ssh-keygen -lf` output: {out}"))
        .to_owned()
}

fn current_user() -> String {
    run(Command::new("id").arg("-un")).trim().to_owned()
}

/// A loopback port that nothing listens on (for a moment).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Runs a command that must succeed; its stdout.
fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
