use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtara_connections::{ConnectionFields, ConnectionsKey, MAX_SECRET_BYTES, Secret};
use runtara_core::Connections;
use runtara_host::store::Store;
use serde_json::{Value, json};

use super::{Format, print_stdout};

/// The longest reply read from the core: a list of many connections.
const MAX_REPLY_BYTES: u64 = 8 << 20;

/// Manage connections: credentials for Agent steps, kept apart from scenarios.
///
/// A connection is kept by the core service (`--core-url`) or in a local state
/// file (`--state`, the one `runtara run --instance` uses), per tenant. Its secret
/// is sealed there with the connections key (AES-256-GCM) and never shown again.
/// It names where its credentials may go: a `--base-url` or `--host`s. (Steps do
/// not use connections yet: a `connectionId` is still ignored, with a warning.)
///
/// Kinds: `bearer` (Authorization: Bearer), `basic` (--username), `api-key` (in
/// --header or --query), `oauth2-client-credentials` (--token-url, --client-id,
/// --scope; the secret is the client secret) and `sftp` (--username, --auth
/// password|private-key, --host-key).
///
/// A secret is read from `--secret-file FILE`, or from stdin: never from the
/// command line, where other users and the shell's history would see it.
#[derive(clap::Args)]
#[command(
    after_help = "Example, against the core:\n  export RUNTARA_HTTP_URL=http://127.0.0.1:7420 RUNTARA_TOKEN=secret RUNTARA_TENANT_ID=acme\n  printf %s \"$BILLING_TOKEN\" | runtara connection add billing --kind bearer \\\n      --base-url https://api.billing.example/v2\n  runtara connection list\n  runtara connection rotate billing --secret-file new-token.txt\n  runtara connection rm billing\n\nLocal, for `runtara run --instance ID --state state.db`:\n  runtara connection new-key > connections.key\n  runtara connection --state state.db --connections-key-file connections.key \\\n      add partner --kind api-key --header X-Api-Key --host api.partner.example < key.txt"
)]
pub struct Args {
    #[command(flatten)]
    place: Place,
    #[command(subcommand)]
    command: Command,
}

/// Where the connections are kept, and whose they are.
#[derive(clap::Args)]
struct Place {
    /// The core service's URL (`runtara serve`).
    #[arg(long, env = "RUNTARA_HTTP_URL", value_name = "URL", global = true)]
    core_url: Option<String>,
    /// The core's bearer token.
    #[arg(
        long,
        env = "RUNTARA_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true
    )]
    core_token: Option<String>,
    /// A local state store instead of the core: a SQLite file (created when
    /// missing) or a `postgres://` URL, as `runtara run --state` takes.
    #[arg(
        long,
        value_name = "FILE|URL",
        global = true,
        conflicts_with = "core_url"
    )]
    state: Option<String>,
    /// With --state: a file holding the connections key (64 hex characters;
    /// `runtara connection new-key` makes one) [default: RUNTARA_CONNECTIONS_KEY].
    #[arg(long, value_name = "FILE", global = true)]
    connections_key_file: Option<PathBuf>,
    /// The tenant whose connections these are.
    #[arg(
        long,
        env = "RUNTARA_TENANT_ID",
        default_value = "default",
        value_name = "TENANT",
        global = true
    )]
    tenant: String,
}

/// The connections key from `file`, else from `RUNTARA_CONNECTIONS_KEY`; `None` when
/// neither is given.
pub fn load_key(file: Option<&Path>) -> Result<Option<ConnectionsKey>> {
    Ok(match file {
        Some(file) => Some(ConnectionsKey::from_file(file)?),
        None => ConnectionsKey::from_env()?,
    })
}

#[derive(clap::Subcommand)]
enum Command {
    /// Add a connection; its secret comes from --secret-file, or stdin.
    Add(Box<AddArgs>),
    /// List the tenant's connections (never their secrets).
    List {
        /// `text`, a line per connection, or `json`.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Replace a connection's secret (from --secret-file, or stdin).
    Rotate {
        /// The connection's id.
        id: String,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Delete a connection.
    Rm {
        /// The connection's id.
        id: String,
    },
    /// Print a new random connections key, for --connections-key-file or
    /// RUNTARA_CONNECTIONS_KEY (keep it as secret as the connections).
    NewKey,
}

#[derive(clap::Args)]
struct AddArgs {
    /// The connection's id, as steps name it in `connectionId`: letters, digits,
    /// `.`, `_`, `-`.
    id: String,
    /// bearer, basic, api-key, oauth2-client-credentials or sftp.
    #[arg(long, value_name = "KIND")]
    kind: String,
    /// Requests at or below this URL get the credentials (or --host).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Requests to this host (`host` or `host:port`) get the credentials; repeat
    /// for more (or --base-url).
    #[arg(long = "host", value_name = "HOST[:PORT]")]
    hosts: Vec<String>,
    /// basic, sftp: who logs in.
    #[arg(long, value_name = "NAME")]
    username: Option<String>,
    /// api-key: the header the key goes in.
    #[arg(long, value_name = "NAME")]
    header: Option<String>,
    /// api-key: the query parameter the key goes in.
    #[arg(long, value_name = "NAME")]
    query: Option<String>,
    /// oauth2-client-credentials: the token endpoint.
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// oauth2-client-credentials: the client id (the secret is the client secret).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// oauth2-client-credentials: the scope to ask for.
    #[arg(long, value_name = "SCOPE")]
    scope: Option<String>,
    /// sftp: what the secret is, `password` or `private-key`.
    #[arg(long, value_name = "AUTH")]
    auth: Option<String>,
    /// sftp: the server's host key fingerprint, as `ssh-keygen -lf` prints it
    /// (`SHA256:...`).
    #[arg(long, value_name = "FINGERPRINT")]
    host_key: Option<String>,
    #[command(flatten)]
    secret: SecretSource,
}

#[derive(clap::Args)]
struct SecretSource {
    /// Read the secret from this file (a trailing newline is dropped) instead of stdin.
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
}

impl SecretSource {
    fn read(&self) -> Result<Secret> {
        let (reader, source): (Box<dyn Read>, String) =
            match &self.secret_file {
                Some(file) => (
                    Box::new(std::fs::File::open(file).with_context(|| {
                        format!("cannot read the secret file {}", file.display())
                    })?),
                    file.display().to_string(),
                ),
                None => (Box::new(std::io::stdin()), "stdin".to_owned()),
            };
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        reader
            .take(MAX_SECRET_BYTES as u64 + 2)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read the secret from {source}"))?;
        let text = std::str::from_utf8(&bytes)
            .with_context(|| format!("the secret from {source} is not UTF-8"))?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            bail!("the secret from {source} is empty");
        }
        Ok(Secret::new(text.to_owned()))
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    if let Command::NewKey = args.command {
        print_stdout(&format!("{}\n", *ConnectionsKey::generate().to_hex()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let book = Book::open(&args.place)?;
    match args.command {
        Command::Add(add) => {
            let secret = add.secret.read()?;
            let fields = ConnectionFields {
                id: add.id,
                kind: add.kind,
                base_url: add.base_url,
                hosts: (!add.hosts.is_empty()).then_some(add.hosts),
                username: add.username,
                header: add.header,
                query: add.query,
                token_url: add.token_url,
                client_id: add.client_id,
                scope: add.scope,
                auth: add.auth,
                host_key: add.host_key,
                secret: Some(secret),
            };
            let added = book.add(&fields)?;
            eprintln!("added {}", describe(&added));
        }
        Command::List { format } => {
            let listed = book.list()?;
            let text = match format {
                Format::Json => format!("{}\n", json!({ "connections": listed })),
                Format::Text => listed.iter().map(|c| describe(c) + "\n").collect(),
            };
            print_stdout(&text)?;
        }
        Command::Rotate { id, secret } => {
            let rotated = book.rotate(&id, &secret.read()?)?;
            eprintln!("rotated the secret of {}", describe(&rotated));
        }
        Command::Rm { id } => {
            book.remove(&id)?;
            eprintln!("deleted the connection {id}");
        }
        Command::NewKey => unreachable!("answered above"),
    }
    Ok(ExitCode::SUCCESS)
}

/// One line for a connection: its id, kind and where it may be used.
fn describe(connection: &Value) -> String {
    let scope = match (&connection["baseUrl"], &connection["hosts"]) {
        (Value::String(url), _) => url.clone(),
        (_, Value::Array(hosts)) => hosts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    format!(
        "{} ({}) for {scope}",
        connection["id"].as_str().unwrap_or("?"),
        connection["kind"].as_str().unwrap_or("?")
    )
}

/// Where the connections are: the core's API, or a state store opened here.
enum Book {
    Core(CoreApi),
    Local {
        runtime: tokio::runtime::Runtime,
        store: Store,
        key: ConnectionsKey,
        tenant: String,
    },
}

impl Book {
    fn open(place: &Place) -> Result<Self> {
        match (&place.core_url, &place.state) {
            (Some(url), None) => {
                let Some(token) = place.core_token.clone().filter(|t| !t.is_empty()) else {
                    bail!("--core-token (or RUNTARA_TOKEN) is needed to reach the core at {url}");
                };
                Ok(Book::Core(CoreApi {
                    url: url.trim_end_matches('/').to_owned(),
                    token,
                    tenant: place.tenant.clone(),
                    client: reqwest::blocking::Client::new(),
                }))
            }
            (None, Some(state)) => {
                let Some(key) = load_key(place.connections_key_file.as_deref())? else {
                    bail!(
                        "a local store seals connections with a key: give --connections-key-file FILE or set {} (`runtara connection new-key` makes one)",
                        ConnectionsKey::ENV
                    );
                };
                let runtime =
                    tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
                let store = runtime.block_on(Store::open(state))?;
                Ok(Book::Local {
                    runtime,
                    store,
                    key,
                    tenant: place.tenant.clone(),
                })
            }
            _ => bail!(
                "say where the connections are: --core-url URL (or RUNTARA_HTTP_URL) for the core service, or --state FILE for a local state store"
            ),
        }
    }

    fn add(&self, fields: &ConnectionFields) -> Result<Value> {
        match self {
            Book::Core(api) => {
                let mut body = serde_json::to_value(fields)?;
                let secret = fields.secret.as_ref().map(Secret::expose);
                body["secret"] = json!(secret);
                api.call(reqwest::Method::POST, "", Some(body))
            }
            Book::Local {
                runtime,
                store,
                key,
                tenant,
            } => Ok(runtime.block_on(Connections { store, key }.create(tenant, fields))?),
        }
    }

    fn list(&self) -> Result<Vec<Value>> {
        match self {
            Book::Core(api) => {
                let reply = api.call(reqwest::Method::GET, "", None)?;
                match reply.get("connections") {
                    Some(Value::Array(listed)) => Ok(listed.clone()),
                    _ => bail!("the core's reply has no connections list: {reply}"),
                }
            }
            Book::Local {
                runtime,
                store,
                key,
                tenant,
            } => Ok(runtime.block_on(Connections { store, key }.list(tenant))?),
        }
    }

    fn rotate(&self, id: &str, secret: &Secret) -> Result<Value> {
        match self {
            Book::Core(api) => api.call(
                reqwest::Method::PUT,
                &format!("/{id}/secret"),
                Some(json!({ "secret": secret.expose() })),
            ),
            Book::Local {
                runtime,
                store,
                key,
                tenant,
            } => Ok(runtime.block_on(Connections { store, key }.rotate(tenant, id, secret))?),
        }
    }

    fn remove(&self, id: &str) -> Result<()> {
        match self {
            Book::Core(api) => api
                .call(reqwest::Method::DELETE, &format!("/{id}"), None)
                .map(drop),
            Book::Local {
                runtime,
                store,
                key,
                tenant,
            } => Ok(runtime.block_on(Connections { store, key }.delete(tenant, id))?),
        }
    }
}

/// The core's connection routes, as one tenant.
struct CoreApi {
    url: String,
    token: String,
    tenant: String,
    client: reqwest::blocking::Client,
}

impl CoreApi {
    /// A request to `/api/v1/connections<path>` of the core; its JSON reply, or the
    /// core's error.
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let endpoint = format!("{}/api/v1/connections{path}", self.url);
        let mut request = self
            .client
            .request(method, &endpoint)
            .bearer_auth(&self.token)
            .header("x-runtara-tenant-id", &self.tenant);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .with_context(|| format!("cannot reach the core at {endpoint}"))?;
        let status = response.status();
        let mut text = String::new();
        response
            .take(MAX_REPLY_BYTES)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read the core's reply from {endpoint}"))?;
        let reply: Value = serde_json::from_str(&text).with_context(|| {
            format!("the core at {endpoint} answered {status} with what is not JSON")
        })?;
        if !status.is_success() {
            let error = &reply["error"];
            bail!(
                "the core refused ({status}, {}): {}",
                error["code"].as_str().unwrap_or("?"),
                error["message"].as_str().unwrap_or("no message")
            );
        }
        Ok(reply)
    }
}
