//! One module per subcommand; each parses its arguments and calls a library.

pub mod check;
pub mod compile;
pub mod compose;
pub mod run;

use std::path::PathBuf;

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
