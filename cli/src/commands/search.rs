use std::process::ExitCode;

use anyhow::{Context, Result};
use runtara_registry::reference::Name;

use super::registry::{RegistryArgs, block_on};
use super::{Format, print_stdout};

/// List what a registry holds: its repositories (those whose name contains
/// TERM, when given) and their tags.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  runtara search csv --registry http://127.0.0.1:5050")]
pub struct Args {
    /// Only repositories whose name contains this.
    term: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let client = args.registry.client()?;
    let term = args.term.unwrap_or_default();
    let found = block_on(async {
        let mut found = Vec::new();
        for repository in client.catalog().await? {
            if !repository.contains(&term) {
                continue;
            }
            let tags = match repository.parse::<Name>() {
                Ok(name) => client.tags(&name).await?,
                Err(_) => Vec::new(),
            };
            found.push((repository, tags));
        }
        Ok::<_, runtara_registry::client::ClientError>(found)
    })?
    .with_context(|| format!("cannot list what {} holds", client.url()))?;
    let text = match args.format {
        Format::Json => {
            let listed: Vec<serde_json::Value> = found
                .iter()
                .map(|(name, tags)| serde_json::json!({ "name": name, "tags": tags }))
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&listed)?)
        }
        Format::Text if found.is_empty() => {
            format!("{} holds nothing that matches\n", client.url())
        }
        Format::Text => found
            .iter()
            .map(|(name, tags)| format!("{name}  {}\n", tags.join(", ")))
            .collect(),
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
