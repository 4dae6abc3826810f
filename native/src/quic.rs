//! The provider over the core service's QUIC endpoint (`runtara serve --quic`): the
//! instance is kept by the core, as for a component composed with `durable-http`,
//! so its history, pause, resume, cancel and signals go through the core's
//! management API. Each call of the workflow is one bidirectional stream of one
//! connection (the wire format is `runtara_protocol`'s); a binary started again
//! with the same instance id finds the checkpoints earlier runs saved, read a page
//! at a time. A durable
//! sleep waits in place for what the core says is left of it: the core records its
//! end at the first ask, so a binary killed in a sleep waits only the rest. A call
//! that gets no reply is tried again, on a new connection when the old one is
//! lost, so a core restarted within a few seconds goes unnoticed by the run.

use std::fmt::Display;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use quinn::{Connection, Endpoint, VarInt};
use runtara_protocol::{
    Call, Checkpointed, MAX_MESSAGE_BYTES, Polled, QUIC_ALPN, QUIC_SERVER_NAME, QuicReply,
    QuicRequest, ReplayPage, Slept, Taken,
};
use runtara_runtime::serde_json::{self, Value};
use runtara_runtime::{CheckpointReply, Control, Durable, LogLevel, SleepOutcome, WorkflowError};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::de::{DeserializeOwned, IgnoredAny};

/// How often an idle connection tells the core it is still there, so that a long
/// step or sleep between two calls does not let the connection time out.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connection may hear nothing from the core before it counts as lost.
const IDLE_TIMEOUT: Duration = Duration::from_secs(15);
/// The waits before the further attempts of a call that got no reply: a core
/// restarted within a few seconds goes unnoticed by the run.
const RETRY_WAITS: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(4),
];

/// Where the core is, and which instance the run is.
pub struct QuicConfig {
    /// `host:port` of the core's QUIC endpoint (`RUNTARA_QUIC_ADDR`).
    pub address: String,
    /// The PEM certificate the core serves, the only one trusted (`RUNTARA_QUIC_CERT`).
    pub cert: PathBuf,
    pub instance: String,
    pub tenant: String,
    /// The bearer token (`RUNTARA_TOKEN`).
    pub token: String,
}

impl QuicConfig {
    /// The rest of the configuration, from the environment: the certificate, the
    /// instance id and the token must be set; the tenant is `default` when unset.
    pub fn from_env(address: String) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let required = ["RUNTARA_QUIC_CERT", "RUNTARA_INSTANCE_ID", "RUNTARA_TOKEN"];
        let [Some(cert), Some(instance), Some(token)] = required.map(var) else {
            let missing: Vec<&str> = required.into_iter().filter(|n| var(n).is_none()).collect();
            return Err(format!(
                "RUNTARA_QUIC_ADDR is set, so the run is an instance kept by the runtara core at \
                 {address}: it needs RUNTARA_QUIC_CERT (the core's certificate, PEM), \
                 RUNTARA_INSTANCE_ID and RUNTARA_TOKEN; {} not set",
                missing.join(", ")
            ));
        };
        Ok(Self {
            address,
            cert: cert.into(),
            instance,
            tenant: var("RUNTARA_TENANT_ID").unwrap_or_else(|| "default".to_owned()),
            token,
        })
    }
}

/// One instance kept by the core, over one QUIC connection (made again when it is
/// lost).
pub struct Quic {
    /// Drives the connection on a thread of its own, between calls too: keep-alives
    /// and acknowledgements go on while the workflow runs a step or sleeps.
    runtime: tokio::runtime::Runtime,
    endpoint: Endpoint,
    client: quinn::ClientConfig,
    address: SocketAddr,
    connection: Connection,
    config: QuicConfig,
}

impl Quic {
    /// Connects to the core, trusting only its certificate.
    pub fn connect(config: QuicConfig) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let client = client_config(&config.cert)?;
        let unreachable = |e: &dyn Display| {
            format!(
                "cannot reach runtara core at quic://{}: {e}",
                config.address
            )
        };
        let address = config
            .address
            .to_socket_addrs()
            .map_err(|e| unreachable(&e))?
            .next()
            .ok_or_else(|| unreachable(&"the name has no address"))?;
        let local = if address.is_ipv6() {
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
        } else {
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
        };
        let (endpoint, connection) = runtime
            .block_on(async {
                let endpoint = Endpoint::client(local).map_err(|e| e.to_string())?;
                let connection = open(&endpoint, &client, address).await?;
                Ok((endpoint, connection))
            })
            .map_err(|e: String| unreachable(&e))?;
        Ok(Self {
            runtime,
            endpoint,
            client,
            address,
            connection,
            config,
        })
    }

    /// Makes `call` on the instance and parses the body of the reply.
    fn call<T: DeserializeOwned>(&mut self, call: Call) -> Result<T, String> {
        let request = QuicRequest {
            token: self.config.token.clone(),
            tenant_id: self.config.tenant.clone(),
            instance_id: self.config.instance.clone(),
            call,
        };
        let request = serde_json::to_vec(&request).map_err(|e| self.at(e))?;
        let reply = self.exchange(&request)?;
        match serde_json::from_slice(&reply) {
            Ok(QuicReply::Ok(body)) => serde_json::from_value(body)
                .map_err(|e| self.at(format_args!("unexpected reply: {e}"))),
            Ok(QuicReply::Error(error)) => Err(self.at(error)),
            Err(e) => Err(self.at(format_args!("unexpected reply: {e}"))),
        }
    }

    /// Sends `request` and reads the reply. When none comes, it tries again after
    /// each of [`RETRY_WAITS`], on a new connection when the one it had is lost.
    /// Every call is safe to repeat: the core keeps the first checkpoint of a step,
    /// the end a sleep was first given and a taken signal (a repeated log event is
    /// recorded twice). An error the core answers is not tried again.
    fn exchange(&mut self, request: &[u8]) -> Result<Vec<u8>, String> {
        let mut waits = RETRY_WAITS.iter();
        loop {
            let error = match self.runtime.block_on(attempt(&self.connection, request)) {
                Ok(reply) => return Ok(reply),
                Err(error) => error,
            };
            // The stream's error only says "connection lost"; the connection says why.
            let lost = self.connection.close_reason();
            let error = match &lost {
                Some(why) => format!("the connection was lost ({why})"),
                None => error,
            };
            let Some(wait) = waits.next() else {
                return Err(self.at(format_args!("no reply: {error}")));
            };
            eprintln!(
                "{}; trying again in {} ms",
                self.at(format_args!("no reply: {error}")),
                wait.as_millis()
            );
            std::thread::sleep(*wait);
            if lost.is_some() {
                let reconnected =
                    self.runtime
                        .block_on(open(&self.endpoint, &self.client, self.address));
                match reconnected {
                    Ok(connection) => self.connection = connection,
                    Err(error) => eprintln!("{}", self.at(format_args!("cannot connect: {error}"))),
                }
            }
        }
    }

    /// `what` happened at the core.
    fn at(&self, what: impl Display) -> String {
        format!("runtara core at quic://{}: {what}", self.config.address)
    }

    /// Makes a call that cannot report a failure to the workflow: the failure goes
    /// to stderr.
    fn report(&mut self, what: &str, call: Call) {
        if let Err(error) = self.call::<IgnoredAny>(call) {
            eprintln!(
                "cannot record {what} of instance {}: {error}",
                self.config.instance
            );
        }
    }
}

impl Drop for Quic {
    /// Closes the connection, and waits until the core was told.
    fn drop(&mut self) {
        self.connection.close(VarInt::from_u32(0), b"the run ended");
        self.runtime.block_on(self.endpoint.wait_idle());
    }
}

impl Durable for Quic {
    /// Registers the run and reads the checkpoints earlier runs saved, a page at a
    /// time: `register` answers with the first, `checkpoints` with the others.
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        let mut page: ReplayPage = self.call(Call::Register)?;
        let mut after = 0;
        let mut saved = Vec::new();
        loop {
            page.check_progress(after).map_err(|e| self.at(e))?;
            saved.extend(page.checkpoints.into_iter().map(|s| (s.id, s.state)));
            let Some(next) = page.next else {
                return Ok(saved);
            };
            after = next;
            page = self.call(Call::Checkpoints { after })?;
        }
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String> {
        let reply: Checkpointed = self.call(Call::Checkpoint {
            checkpoint_id: id.to_owned(),
            state: state.clone(),
        })?;
        Ok(CheckpointReply {
            existing: reply.existing_state,
            pause: reply.should_pause,
            cancel: reply.should_cancel,
        })
    }

    fn poll_control(&mut self) -> Option<Control> {
        match self.call::<Polled>(Call::PollSignal) {
            Ok(reply) => reply.signal.map(|signal| signal.kind),
            Err(error) => {
                eprintln!(
                    "cannot read the requests for instance {}: {error}",
                    self.config.instance
                );
                None
            }
        }
    }

    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String> {
        let reply: Taken = self.call(Call::TakeSignal {
            signal_id: signal_id.to_owned(),
        })?;
        Ok(reply.arrived.then_some(reply.payload))
    }

    fn sleep(&mut self, duration: Duration, checkpoint_id: &str) -> Result<SleepOutcome, String> {
        let reply: Slept = self.call(Call::DurableSleep {
            checkpoint_id: checkpoint_id.to_owned(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        })?;
        Ok(SleepOutcome::Wait(Duration::from_millis(
            reply.remaining_ms,
        )))
    }

    fn log(&mut self, level: LogLevel, message: &str, context: &Value) {
        let level = match level {
            LogLevel::Debug => runtara_protocol::LogLevel::Debug,
            LogLevel::Info => runtara_protocol::LogLevel::Info,
            LogLevel::Warn => runtara_protocol::LogLevel::Warn,
            LogLevel::Error => runtara_protocol::LogLevel::Error,
        };
        self.report(
            "a log event",
            Call::Log {
                level,
                message: message.to_owned(),
                context: context.clone(),
            },
        );
    }

    fn completed(&mut self, output: &Value) {
        let output = output.clone();
        self.report("the output", Call::Completed { output });
    }

    fn failed(&mut self, error: &WorkflowError) {
        let error = error.to_json();
        self.report("the error", Call::Failed { error });
    }

    fn suspended(&mut self) {
        self.report("the stop", Call::Suspended);
    }
}

/// A connection to the core at `address`, within [`CONNECT_TIMEOUT`].
async fn open(
    endpoint: &Endpoint,
    client: &quinn::ClientConfig,
    address: SocketAddr,
) -> Result<Connection, String> {
    let connecting = endpoint
        .connect_with(client.clone(), address, QUIC_SERVER_NAME)
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(connected) => connected.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// One call on a stream of its own: the request written and finished, then the
/// whole reply read.
async fn attempt(connection: &Connection, request: &[u8]) -> Result<Vec<u8>, String> {
    let (mut send, mut receive) = connection.open_bi().await.map_err(|e| e.to_string())?;
    send.write_all(request).await.map_err(|e| e.to_string())?;
    send.finish().map_err(|e| e.to_string())?;
    receive
        .read_to_end(MAX_MESSAGE_BYTES)
        .await
        .map_err(|e| e.to_string())
}

/// TLS 1.3 (ring) trusting only the certificates in the PEM file at `path`, with
/// the core's ALPN protocol and keep-alives.
fn client_config(path: &Path) -> Result<quinn::ClientConfig, String> {
    let unusable =
        |e: &dyn Display| format!("cannot use the core's certificate {}: {e}", path.display());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| unusable(&e))? {
        roots
            .add(cert.map_err(|e| unusable(&e))?)
            .map_err(|e| unusable(&e))?;
    }
    if roots.is_empty() {
        return Err(unusable(&"the file holds no certificate"));
    }
    let ring = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(ring)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![QUIC_ALPN.to_vec()];
    let tls = quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| e.to_string())?;
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(Some(KEEP_ALIVE));
    transport.max_idle_timeout(Some(IDLE_TIMEOUT.try_into().map_err(|e| format!("{e}"))?));
    let mut config = quinn::ClientConfig::new(Arc::new(tls));
    config.transport_config(Arc::new(transport));
    Ok(config)
}
