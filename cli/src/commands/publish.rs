use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtara_compiler::catalog::read_description;
use runtara_registry::artifact::{Artifact, ComponentInterfaces};
use runtara_registry::component::publish;
use runtara_registry::reference::{Name, Tag};

use super::registry::{RegistryArgs, block_on};

/// Publish a component to a registry, as a Wasm OCI artifact.
///
/// The artifact's config records what the component imports and exports (its
/// WIT world) and, for a runtara agent, its description: every capability with
/// its input and output schemas. For an agent, `--name` defaults to
/// `runtara/<agent>` and `--version` to its WIT package version, which is what
/// `runtara compose --registry` looks agents up by.
#[derive(clap::Args)]
// `--version` is the tag published, not runtara's version.
#[command(disable_version_flag = true)]
#[command(
    after_help = "Example:\n  RUNTARA_REGISTRY_TOKEN=secret runtara publish target/components/http.wasm \\\n    --registry http://127.0.0.1:5050 --name runtara/http --version 0.1.0"
)]
pub struct Args {
    /// The component (`.wasm`).
    component: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The repository to publish to [default for an agent: runtara/<agent>].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The tag to publish as [default for an agent: its WIT package version].
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let path = &args.component;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let interfaces = runtara_composer::interfaces(&bytes, path)?;
    let description = read_description(path)?;
    let name = match (&args.name, &description) {
        (Some(name), _) => name.clone(),
        (None, Some(description)) => format!("runtara/{}", description.agent),
        (None, None) => bail!(
            "{} is not a runtara agent, so name the repository: --name ORG/NAME",
            path.display()
        ),
    };
    let version = match (&args.version, &description) {
        (Some(version), _) => version.clone(),
        (None, Some(description)) => description.version.clone(),
        (None, None) => bail!(
            "{} is not a runtara agent, so give the version: --version X.Y.Z",
            path.display()
        ),
    };
    let name: Name = name.parse().context("--name")?;
    let tag: Tag = version.parse().context("--version")?;
    if let Some(description) = &description
        && description.version != version
    {
        eprintln!(
            "warning: publishing as {version}, but the component is runtara:{}@{}; \
             `runtara compose --registry` looks agents up by that WIT version",
            description.agent, description.version
        );
    }
    let description = description
        .map(serde_json::to_value)
        .transpose()
        .context("cannot record the agent's description")?;
    let artifact = Artifact::pack(
        bytes,
        ComponentInterfaces {
            exports: interfaces.exports,
            imports: interfaces.imports,
            target: None,
        },
        description,
        name.as_str(),
        tag.as_str(),
    );
    let client = args.registry.client()?;
    let digest = block_on(publish(&client, &name, &tag, &artifact))?
        .with_context(|| format!("cannot publish {name}:{tag} to {}", client.url()))?;
    eprintln!(
        "published {} as {name}:{tag} ({digest}) to {}",
        path.display(),
        client.url()
    );
    Ok(ExitCode::SUCCESS)
}
