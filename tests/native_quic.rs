//! Native binaries that keep their durable instance in the core service over QUIC
//! (`RUNTARA_QUIC_ADDR`), against a real `runtara serve --quic` process on
//! loopback: a binary killed with SIGKILL (and the core restarted meanwhile)
//! resumes without redoing finished steps; a running binary rides out a restart
//! of the core; pause, resume and cancel sent through the management API stop
//! and continue it; the QUIC endpoint refuses bad calls without writing
//! anything; and a binary reads a long replay in pages.
//!
//! Scenarios: `tests/durable/file-steps.json` appends `first` to a file, sleeps
//! durably, then appends `second` (a step run twice shows in the file);
//! `tests/durable/approval.json` greets, sleeps, then waits for the signal `approve`.

mod common;
#[path = "common/core_process.rs"]
mod core_process;
#[path = "common/outside_run.rs"]
mod outside_run;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use core_process::{Core, Setup};
use outside_run::{Run, seed_large_replay};
use runtara_protocol::{Call, MAX_MESSAGE_BYTES, QUIC_ALPN, QUIC_SERVER_NAME, QuicRequest};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};

/// A scenario of `tests/durable/` compiled to a native binary once.
fn binary(scenario: &str) -> PathBuf {
    durable_scenario(scenario, Build::Native)
}

/// The core of `setup` with its QUIC endpoint; the certificate and key are made
/// (and kept) in the set-up's directory.
fn quic_core(setup: &Setup) -> Core {
    quic_core_at(setup, "127.0.0.1:0")
}

/// [`quic_core`] with its QUIC endpoint on `address`.
fn quic_core_at(setup: &Setup, address: &str) -> Core {
    let cert = cert(setup);
    let key = setup.dir.path().join("quic-key.pem");
    setup.core(&[
        "--quic",
        address,
        "--quic-cert",
        cert.to_str().unwrap(),
        "--quic-key",
        key.to_str().unwrap(),
    ])
}

fn cert(setup: &Setup) -> PathBuf {
    setup.dir.path().join("quic-cert.pem")
}

/// `binary` as the instance of `run` of tenant acme in the core at `address`, with `token`
/// and trusting `cert`.
fn command(run: &Run, binary: &Path, address: &str, cert: &Path, token: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("--input")
        .arg(run.input())
        .env_remove("RUNTARA_STATE_FILE")
        .env("RUNTARA_QUIC_ADDR", address)
        .env("RUNTARA_QUIC_CERT", cert)
        .env("RUNTARA_INSTANCE_ID", &run.instance)
        .env("RUNTARA_TENANT_ID", "acme")
        .env("RUNTARA_TOKEN", token)
        // `/data/log.txt` is `<dir>/data/log.txt`.
        .env("RUNTARA_FILE_ROOT", run.dir.path())
        .stdin(Stdio::null());
    command
}

/// Starts `binary` as the instance of `run` against `core`, in the background.
fn spawn(run: &Run, binary: &Path, setup: &Setup, core: &Core) -> Child {
    run.start(command(
        run,
        binary,
        &core.quic_addr(),
        &cert(setup),
        "acme-token",
    ))
}

#[test]
fn a_killed_binary_resumes_from_the_core_across_a_core_restart() {
    let setup = Setup::new();
    let core = quic_core(&setup);
    let run = Run::new("crash", json!({"waitMs": 4000}));
    let binary = binary("file-steps");

    let first = spawn(&run, &binary, &setup, &core);
    let wake_at = run.kill_in_sleep(first, core, &setup);

    // The restarted core listens on another port, with the same certificate.
    let core = quic_core(&setup);
    run.check_resumed(spawn(&run, &binary, &setup, &core), &core, wake_at);

    // An ended instance takes no more runs: the register is refused.
    let again = output(&mut command(
        &run,
        &binary,
        &core.quic_addr(),
        &cert(&setup),
        "acme-token",
    ));
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("INSTANCE_ENDED"), "{stderr}");
    assert_eq!(run.log(), "first\nsecond\n");
}

#[test]
fn a_binary_whose_checkpoints_outgrow_one_reply_resumes_reading_them_in_pages() {
    let setup = Setup::new();
    let core = quic_core(&setup);
    let seeded = seed_large_replay(&setup);
    // Longer than the other crash test's: each look at the history, which the kill
    // waits for, reads the megabytes of seeded checkpoints.
    let run = Run::new("crash", json!({"waitMs": 6000}));
    let binary = binary("file-steps");

    let first = spawn(&run, &binary, &setup, &core);
    let wake_at = run.kill_in_sleep(first, core, &setup);
    let core = quic_core(&setup);
    let resumed = spawn(&run, &binary, &setup, &core);
    run.check_resumed_after(resumed, &core, wake_at, &seeded);
}

#[test]
fn a_running_binary_rides_out_a_restart_of_the_core() {
    let setup = Setup::new();
    let core = quic_core(&setup);
    let address = core.quic_addr();
    let run = Run::new("crash", json!({"waitMs": 4000}));
    let child = spawn(&run, &binary("file-steps"), &setup, &core);
    core.wait_for_step("crash", "first");

    // While the binary sleeps, the core dies and comes back on the same address.
    core.kill();
    let core = quic_core_at(&setup, &address);
    let (code, stdout) = run.finish(child);
    assert_eq!(code, Some(0), "{}", run.stderr());
    assert_eq!(json(&stdout, "stdout")["written"], 7);
    assert_eq!(run.log(), "first\nsecond\n", "a finished step ran twice");
    assert_eq!(core.instance("crash")["status"], "completed");
    assert_eq!(core.steps("crash"), ["first", "wait", "second", "done"]);
    // The restarted core, holding the same TLS key, reset the old connection
    // rather than leave the binary waiting for it to time out.
    assert!(
        run.stderr().contains("reset by peer") && run.stderr().contains("trying again"),
        "{}",
        run.stderr()
    );
}

#[test]
fn pause_resume_and_cancel_reach_a_native_binary() {
    let setup = Setup::new();
    let core = quic_core(&setup);
    let binary = binary("approval");

    let paused = Run::new("paused", json!({"name": "Ada", "napMs": 10}));
    let child = spawn(&paused, &binary, &setup, &core);
    core.wait_for_step("paused", "nap");
    assert_eq!(core.post("paused", "pause", None).0, 202);
    let (code, _) = paused.finish(child);
    assert_eq!(code, Some(3), "{}", paused.stderr());
    assert!(
        paused.stderr().contains(r#""code":"PAUSED""#),
        "{}",
        paused.stderr()
    );
    core.wait_for_status("paused", "paused");

    let (status, resumed) = core.post("paused", "resume", None);
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["resumed"], true);
    assert!(resumed["note"].is_string(), "{resumed}");
    assert_eq!(core.instance("paused")["status"], "pending");
    let child = spawn(&paused, &binary, &setup, &core);
    core.wait_for_status("paused", "running");
    let (status, _) = core.post("paused", "signals/approve", Some(json!({"approved": true})));
    assert_eq!(status, 202);
    let (code, stdout) = paused.finish(child);
    assert_eq!(code, Some(0), "{}", paused.stderr());
    let output = json!({"name": "Ada", "approved": true});
    assert_eq!(json(&stdout, "stdout"), output);
    assert_eq!(
        core.wait_for_status("paused", "completed")["output"],
        output
    );
    // The second run replayed `hello` and `nap` instead of running them again.
    assert_eq!(core.steps("paused"), ["hello", "nap", "approve", "done"]);

    let cancelled = Run::new("cancelled", json!({"name": "Ada", "napMs": 10}));
    let child = spawn(&cancelled, &binary, &setup, &core);
    core.wait_for_step("cancelled", "nap");
    let (status, reply) = core.post("cancelled", "cancel", None);
    assert_eq!(status, 202, "{reply}");
    let (code, _) = cancelled.finish(child);
    assert_eq!(code, Some(1), "{}", cancelled.stderr());
    let ended = core.wait_for_status("cancelled", "cancelled");
    assert_eq!(ended["error"]["code"], "CANCELLED");
    assert_eq!(core.steps("cancelled"), ["hello", "nap"]);
}

#[test]
fn a_binary_refused_by_the_core_or_not_configured_says_why() {
    let setup = Setup::new();
    let core = quic_core(&setup);
    let binary = binary("approval");
    let run = Run::new("refused", json!({"name": "Ada", "napMs": 10}));

    let refused = output(&mut command(
        &run,
        &binary,
        &core.quic_addr(),
        &cert(&setup),
        "wrong",
    ));
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("UNAUTHENTICATED"),
        "{stderr}"
    );
    let (status, _) = core.call("acme-token", "acme", "GET", "/instances/refused", None);
    assert_eq!(status, 404, "a refused run left an instance behind");

    // A certificate that is not the core's: no connection.
    let other = Setup::new();
    quic_core(&other).quic_addr();
    let untrusted = output(&mut command(
        &run,
        &binary,
        &core.quic_addr(),
        &cert(&other),
        "acme-token",
    ));
    assert_eq!(untrusted.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(stderr.contains("cannot reach runtara core"), "{stderr}");

    // No instance id: a usage error before anything else.
    let unnamed = output(
        command(
            &run,
            &binary,
            &core.quic_addr(),
            &cert(&setup),
            "acme-token",
        )
        .env_remove("RUNTARA_INSTANCE_ID"),
    );
    assert_eq!(unnamed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unnamed.stderr);
    assert!(stderr.contains("RUNTARA_INSTANCE_ID"), "{stderr}");
    let (status, _) = core.call("acme-token", "acme", "GET", "/instances/refused", None);
    assert_eq!(status, 404);
}

/// A QUIC client of the core, as a native binary's provider is, but sending what
/// the test says.
struct RawClient {
    runtime: tokio::runtime::Runtime,
    endpoint: quinn::Endpoint,
    connection: quinn::Connection,
}

impl RawClient {
    fn connect(address: &str, cert: &Path) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for der in CertificateDer::pem_file_iter(cert).unwrap() {
            roots.add(der.unwrap()).unwrap();
        }
        let ring = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(ring)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![QUIC_ALPN.to_vec()];
        let tls = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
        let config = quinn::ClientConfig::new(Arc::new(tls));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let address: SocketAddr = address.parse().unwrap();
        let (endpoint, connection) = runtime.block_on(async {
            let endpoint =
                quinn::Endpoint::client(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
            let connecting = endpoint
                .connect_with(config, address, QUIC_SERVER_NAME)
                .unwrap();
            (endpoint, connecting.await.expect("the core accepts"))
        });
        Self {
            runtime,
            endpoint,
            connection,
        }
    }

    /// `call` on instance `id` of acme, as acme; the core's reply.
    fn call(&self, id: &str, call: Call) -> Value {
        let request = QuicRequest {
            token: "acme-token".into(),
            tenant_id: "acme".into(),
            instance_id: id.into(),
            call,
        };
        let request = serde_json::to_vec(&request).unwrap();
        self.runtime.block_on(async {
            let (mut send, mut receive) = self.connection.open_bi().await.unwrap();
            send.write_all(&request).await.unwrap();
            send.finish().unwrap();
            let reply = receive.read_to_end(MAX_MESSAGE_BYTES).await.unwrap();
            json(&String::from_utf8_lossy(&reply), "the reply")
        })
    }

    /// Writes the first half of `call`'s request on a new stream, then drops the
    /// connection without finishing it.
    fn hang_up_mid_request(self, id: &str, call: Call) {
        let request = QuicRequest {
            token: "acme-token".into(),
            tenant_id: "acme".into(),
            instance_id: id.into(),
            call,
        };
        let request = serde_json::to_vec(&request).unwrap();
        self.runtime.block_on(async {
            let (mut send, _receive) = self.connection.open_bi().await.unwrap();
            send.write_all(&request[..request.len() / 2]).await.unwrap();
            self.connection.close(0u32.into(), b"gone");
            self.endpoint.wait_idle().await;
        });
    }
}

fn first_checkpoint() -> Call {
    Call::Checkpoint {
        checkpoint_id: "first".into(),
        state: json!({"steps": {}}),
    }
}

#[test]
fn the_quic_endpoint_refuses_bad_calls_and_writes_nothing() {
    let setup = Setup::new();
    let core = quic_core(&setup);
    let client = RawClient::connect(&core.quic_addr(), &cert(&setup));

    // An unknown instance: register it first.
    let refused = client.call("ghost", first_checkpoint());
    assert_eq!(refused["error"]["status"], 404, "{refused}");
    assert_eq!(refused["error"]["code"], "NOT_FOUND", "{refused}");

    let registered = client.call("live", Call::Register);
    assert_eq!(registered, json!({"ok": {"checkpoints": [], "next": null}}));

    // A request cut short: half of it written, then the connection dropped.
    client.hang_up_mid_request("live", first_checkpoint());
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(core.steps("live"), Vec::<String>::new());

    // Nothing of it was written: a good checkpoint on a new connection is the first.
    let client = RawClient::connect(&core.quic_addr(), &cert(&setup));
    let saved = client.call("live", first_checkpoint());
    assert_eq!(
        saved,
        json!({"ok": {"existingState": null, "shouldPause": false, "shouldCancel": false}})
    );
    assert_eq!(core.steps("live"), ["first"]);
}
