use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtara_compiler::catalog::{AgentDescription, CapabilityDescription, read_description};

use super::registry::{OptionalRegistry, fetch};
use super::{Format, print_stdout};

/// Show what an agent component offers: its capabilities with their input and
/// output JSON Schemas, read from the component itself (its
/// `runtara:capabilities` section).
///
/// `runtara inspect target/components/csv.wasm` lists every capability;
/// `--capability from-csv` shows one; `--format json` prints the description
/// as the component carries it. With `--registry URL`, COMPONENT is a
/// reference (`runtara/csv:0.1.0`), pulled into the cache first.
#[derive(clap::Args)]
pub struct Args {
    /// The agent component (`<agent>.wasm`), or with --registry its reference.
    component: String,
    #[command(flatten)]
    registry: OptionalRegistry,
    /// Show only this capability.
    #[arg(long, value_name = "ID")]
    capability: Option<String>,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let path = match args.registry.given() {
        None => PathBuf::from(&args.component),
        Some(registry) => fetch(&registry, &args.component.parse()?)?.0,
    };
    let path = &path;
    let Some(mut description) = read_description(path)? else {
        bail!(
            "{} carries no runtara:capabilities section, so it is not a runtara agent \
             (a scenario, an adapter or another component?); `wasm-tools component wit {}` \
             shows its interfaces",
            path.display(),
            path.display()
        );
    };
    if let Some(id) = &args.capability {
        let known: Vec<String> = description
            .capabilities
            .iter()
            .map(|c| c.id.clone())
            .collect();
        description.capabilities.retain(|c| &c.id == id);
        if description.capabilities.is_empty() {
            bail!(
                "agent '{}' has no capability '{id}'; it has: {}",
                description.agent,
                known.join(", ")
            );
        }
    }
    match args.format {
        Format::Json => print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&description)?
        ))?,
        Format::Text => {
            let size = std::fs::metadata(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .len();
            print_stdout(&text(&description, size))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The description for people: a header, then each capability with its schemas.
fn text(description: &AgentDescription, size: u64) -> String {
    let mut out = format!(
        "agent {} {} ({} KiB, WIT package runtara:{}@{})\n{}\n",
        description.agent,
        description.version,
        size.div_ceil(1024),
        description.agent,
        description.version,
        description.description
    );
    for capability in &description.capabilities {
        out.push_str(&capability_text(capability));
    }
    out
}

fn capability_text(capability: &CapabilityDescription) -> String {
    let mut out = format!("\n{}\n", capability.id);
    if !capability.description.is_empty() {
        out.push_str(&format!("  {}\n", capability.description));
    }
    for (label, schema) in [
        ("input", &capability.input_schema),
        ("output", &capability.output_schema),
    ] {
        let shown = schema.as_ref().map_or_else(
            || "(no schema)".to_owned(),
            |schema| indent(&serde_json::to_string_pretty(schema).unwrap_or_default()),
        );
        out.push_str(&format!("  {label}: {shown}\n"));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_shows_every_capability_with_its_schemas() {
        let description: AgentDescription = serde_json::from_value(json!({
            "agent": "echo", "version": "0.1.0", "description": "Echoes.",
            "capabilities": [{ "id": "say", "description": "Says it.",
                "inputSchema": { "type": "object", "required": ["text"] } }]
        }))
        .unwrap();
        let shown = text(&description, 2048);
        assert!(
            shown
                .starts_with("agent echo 0.1.0 (2 KiB, WIT package runtara:echo@0.1.0)\nEchoes.\n")
        );
        assert!(shown.contains("\nsay\n  Says it.\n  input: {\n    \"type\": \"object\""));
        assert!(shown.contains("  output: (no schema)\n"));
    }
}
