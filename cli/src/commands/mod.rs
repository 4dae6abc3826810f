//! One module per subcommand; each parses its arguments and calls a library.

pub mod check;
pub mod compile;
pub mod compose;
pub mod connection;
pub mod deploy;
pub mod inspect;
pub mod publish;
pub mod pull;
pub mod registry;
pub mod run;
pub mod search;
pub mod serve;
pub mod transpile;

use std::io::Write;
use std::path::PathBuf;

/// How a command reports: `text` for people, `json` for tools.
#[derive(clap::ValueEnum, Clone, Copy)]
pub enum Format {
    Text,
    Json,
}

/// Writes `text` to stdout; a reader that went away (`| head`) is not an error.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write to stdout"))
        }
        _ => Ok(()),
    }
}

/// Where agent components (and adapters) are found: `--agents-dir`, `$RUNTARA_AGENTS_DIR`,
/// or `target/components`, where `scripts/build-components.sh` puts them.
#[derive(clap::Args, Debug, Clone)]
pub struct AgentsDir {
    /// Directory holding agent components as `<agent>.wasm`, and adapters.
    #[arg(
        long = "agents-dir",
        env = "RUNTARA_AGENTS_DIR",
        default_value = "target/components",
        value_name = "DIR"
    )]
    pub path: PathBuf,
}
