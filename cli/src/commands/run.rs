use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtara_host::{Host, Outcome, RunOptions};
use serde_json::json;

/// Run a composed scenario component.
///
/// Prints the workflow's output as JSON on stdout. A workflow that fails prints
/// `{"error": {stepId, code, message, category, attributes}}` on stderr and
/// exits with 1; a run the host had to stop (time or memory limit, a trap)
/// prints the reason and exits with 2.
///
/// The component may send HTTP requests (the http agent, through wasi:http)
/// only to the hosts given with `--allow-host`, and read and write only the
/// directories given with `--dir`. A
/// WaitForSignal step in a one-shot run reads its signals from the directory
/// granted as `/signals` (`--dir inbox::/signals`; see the README).
#[derive(clap::Args)]
pub struct Args {
    /// The composed component (`runtara compose` output).
    component: PathBuf,
    /// The workflow input, a JSON file; `-` reads stdin [default: `{}`].
    #[arg(short, long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Stop the workflow after this long, e.g. `30s`, `500ms`, `2m`.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    timeout: Option<Duration>,
    /// The most memory the component may use, e.g. `512MiB`, `1GiB`, `100MB`.
    #[arg(long, default_value = "512MiB", value_parser = parse_bytes, value_name = "SIZE")]
    max_memory: usize,
    /// Give the component a host directory, as HOST::GUEST (like `wasmtime run --dir`).
    #[arg(long = "dir", value_parser = parse_dir, value_name = "HOST::GUEST")]
    dirs: Vec<(PathBuf, String)>,
    /// Let the component send HTTP requests to this host: `api.example.com`,
    /// `127.0.0.1:8080` (that port only) or `*` (anywhere). Repeat for more hosts;
    /// requests to others are refused.
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    allowed_hosts: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let input = read_input(args.input.as_deref())?;
    let options = RunOptions {
        timeout: args.timeout,
        max_memory_bytes: args.max_memory,
        dirs: args.dirs,
        allowed_hosts: args.allowed_hosts,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let host = Host::new()?;
        let component = host.load(&args.component)?;
        host.run(&component, &input, &options).await
    })?;
    match outcome {
        Outcome::Completed(output) => {
            println!("{output}");
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Failed(error) => {
            eprintln!("{}", json!({ "error": error }));
            Ok(ExitCode::from(1))
        }
    }
}

fn read_input(path: Option<&std::path::Path>) -> Result<serde_json::Value> {
    let (text, source) = match path {
        None => return Ok(json!({})),
        Some(path) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the input from stdin")?;
            (text, "stdin".to_owned())
        }
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the input file {}", path.display()))?,
            path.display().to_string(),
        ),
    };
    serde_json::from_str(&text).with_context(|| format!("the input ({source}) is not valid JSON"))
}

fn parse_dir(text: &str) -> Result<(PathBuf, String)> {
    match text.split_once("::") {
        Some((host, guest)) if !host.is_empty() && !guest.is_empty() => {
            Ok((host.into(), guest.into()))
        }
        None if !text.is_empty() => Ok((text.into(), text.into())),
        _ => bail!("expected HOST::GUEST or a path, got {text:?}"),
    }
}

fn parse_bytes(text: &str) -> Result<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number
        .parse()
        .with_context(|| format!("expected a size like 512MiB, got {text:?}"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        other => {
            bail!("unknown size unit {other:?} in {text:?} (use B, KiB, MiB, GiB, KB, MB or GB)")
        }
    };
    number
        .checked_mul(factor)
        .with_context(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_dirs_parse() {
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("100MB").unwrap(), 100_000_000);
        assert_eq!(parse_bytes("4096").unwrap(), 4096);
        assert!(parse_bytes("12 parsecs").is_err());
        assert_eq!(
            parse_dir("in::/input").unwrap(),
            (PathBuf::from("in"), "/input".to_owned())
        );
        assert!(parse_dir("::").is_err());
    }
}
