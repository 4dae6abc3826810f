//! `runtara`: check, compile, compose and run workflow scenarios.
//!
//! The lifecycle of a scenario:
//!
//! ```text
//! runtara check scenario.json                 # validate, every problem at once
//! runtara compile scenario.json -o s.wasm      # scenario -> WASI P2 component
//! runtara compose s.wasm -o app.wasm           # plug agents + durable-none adapter
//! runtara run app.wasm --input in.json         # run it (or: wasmtime run ...)
//! runtara serve --database state.db            # the core: durable instances over HTTP
//! runtara connection add billing --kind bearer ...  # credentials steps use (connectionId)
//! runtara publish http.wasm --registry URL     # agents in an OCI registry
//! runtara compose s.wasm --registry URL -o app.wasm
//! runtara deploy spin scenario.json -o app/     # a Spin application (wasmtime serve too)
//! ```

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Durable workflows as WebAssembly components.
///
/// A scenario (JSON) is compiled into a WASI Preview 2 component, composed
/// with the agent components it calls, and run by any WASI P2 runtime:
/// `wasmtime run`, or `runtara run`; `runtara deploy` writes it as a Spin
/// application or, transpiled to JavaScript, as a web page.
#[derive(Parser)]
#[command(name = "runtara", version, propagate_version = true)]
#[command(
    after_help = "Example:\n  runtara compile examples/tier-order/scenario.json -o tier.wasm\n  runtara compose tier.wasm -o app.wasm\n  runtara run app.wasm --input examples/tier-order/input.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(commands::check::Args),
    Compile(commands::compile::Args),
    Compose(commands::compose::Args),
    Transpile(commands::transpile::Args),
    Inspect(commands::inspect::Args),
    Run(commands::run::Args),
    Serve(commands::serve::Args),
    Connection(commands::connection::Args),
    Registry(commands::registry::Args),
    Publish(commands::publish::Args),
    Pull(commands::pull::Args),
    Search(commands::search::Args),
    Deploy(commands::deploy::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Compile(args) => commands::compile::run(args),
        Command::Compose(args) => commands::compose::run(args),
        Command::Transpile(args) => commands::transpile::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Connection(args) => commands::connection::run(args),
        Command::Registry(args) => commands::registry::run(args),
        Command::Publish(args) => commands::publish::run(args),
        Command::Pull(args) => commands::pull::run(args),
        Command::Search(args) => commands::search::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each cause added only when the message does not
/// already say it (our library errors include their cause in their own text).
fn describe(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap's own checks of every subcommand (conflicting names, say), which it
    /// otherwise makes only when that subcommand is parsed.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
