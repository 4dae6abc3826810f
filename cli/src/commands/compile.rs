use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use runtara_compiler::{CompilationTarget, CompileOptions, CompileReport, NativeLinking, Progress};

use super::AgentsDir;

/// Compile a scenario into a WASI Preview 2 component, a native binary or firmware.
///
/// Checks the scenario (as `runtara check` does), generates a Rust crate for it
/// and builds it for `wasm32-wasip2`. The runtime is built once into the cache
/// directory and reused, so later compiles only build the scenario's own code.
/// runtara carries the sources it builds: the first compile of this version in a
/// cache extracts them there, and its build takes a few minutes.
/// The component imports the agents the scenario uses and
/// `runtara:durable/context`; plug them with `runtara compose`.
///
/// With `--target native` the same workflow code is built into an executable
/// for this machine, the agent crates linked in: `./bin --input in.json`
/// prints the output (stdin when `--input` is left out), and
/// `./bin --workflow ID` runs one of its children as a workflow of its own,
/// so one binary can carry many workflows. The executable is
/// statically linked (for x86_64-unknown-linux-musl, or aarch64) when that
/// Rust target and musl-gcc are installed (`scripts/install-tools.sh` installs
/// both); otherwise it links this machine's C library, and says why.
///
/// With `--target embedded` it is built into Cortex-M firmware (an ELF file for
/// thumbv7em-none-eabihf; the reference board is QEMU's mps2-an386), the agent
/// crates linked in without std, checkpoints in the board's flash. What the board
/// cannot run is refused here, naming the step: the http and sftp agents,
/// capabilities that need a clock or entropy, XPath, and templates. Run the
/// firmware with
///
///   qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -monitor none
///     -serial none -icount shift=auto,sleep=off -kernel fw.elf
///     -semihosting-config enable=on,target=native,arg=fw,arg=--input,arg=in.json
///
/// It prints the output (or the error) as `runtara run` does and exits with the
/// same status; its flash is kept in flash.img (`--flash FILE`), so a run that
/// stopped resumes where it was when started again.
#[derive(clap::Args)]
pub struct Args {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// Where to write the component, binary or firmware [default: the scenario's
    /// name, with .wasm for a component and .elf for firmware, in the current
    /// directory].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to build: `wasi` (a WASI Preview 2 component), `native` (an
    /// executable for this machine, agents linked in) or `embedded` (Cortex-M
    /// firmware, agents linked in without std).
    #[arg(long, value_enum, default_value = "wasi", value_name = "TARGET")]
    target: TargetArg,
    #[command(flatten)]
    agents: AgentsDir,
    /// Where generated crates and build artifacts are cached.
    #[arg(long, env = "RUNTARA_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// A child scenario that EmbedWorkflow steps run, as ID=FILE (ID is their
    /// `childWorkflowId`); repeat for each child, children of children included.
    /// Children are compiled into the same component; a native binary or
    /// firmware also runs each on its own with `--workflow ID`.
    #[arg(long = "child", value_name = "ID=FILE", value_parser = parse_child)]
    children: Vec<(String, PathBuf)>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TargetArg {
    Wasi,
    Native,
    Embedded,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let target = match args.target {
        TargetArg::Wasi => CompilationTarget::Wasi,
        TargetArg::Native => CompilationTarget::Native,
        TargetArg::Embedded => CompilationTarget::Embedded,
    };
    let output = args
        .output
        .unwrap_or_else(|| default_output(&args.scenario, target));
    let options = CompileOptions {
        scenario: args.scenario.clone(),
        output,
        agents_dir: args.agents.path,
        cache_dir: args
            .cache_dir
            .unwrap_or_else(runtara_compiler::default_cache_dir),
        children: args.children,
        target,
    };
    let started = Instant::now();
    let report = build(&options)?;
    let linked = match &report.linking {
        None => String::new(),
        Some(NativeLinking::Static { target }) => format!(", statically linked for {target}"),
        Some(NativeLinking::Dynamic { reason }) => {
            eprintln!(
                "warning: {} links this machine's C library, not statically: {reason}",
                report.output.display()
            );
            ", dynamically linked".to_owned()
        }
    };
    let agents: Vec<String> = report
        .agents
        .iter()
        .map(|a| format!("{}@{}", a.agent, a.version))
        .collect();
    eprintln!(
        "compiled {} -> {} in {:.1}s (agents: {}{linked})",
        args.scenario.display(),
        report.output.display(),
        started.elapsed().as_secs_f64(),
        if agents.is_empty() {
            "no agents".to_owned()
        } else {
            agents.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Compiles with a spinner that says what the compiler is doing.
pub fn build(options: &CompileOptions) -> Result<CompileReport> {
    let mut spinner = Spinner::start(&options.scenario);
    let result = runtara_compiler::compile(options, &mut |progress| spinner.show(progress));
    spinner.finish();
    result.with_context(|| format!("cannot compile {}", options.scenario.display()))
}

/// A spinner that says what the compiler is doing, from its [`Progress`].
pub struct Spinner {
    bar: ProgressBar,
    /// The generated crate's name: any other crate cargo compiles belongs to the runtime.
    scenario_crate: String,
}

impl Spinner {
    /// Shows the spinner, checking `scenario`.
    pub fn start(scenario: &Path) -> Self {
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(format!("checking {}", scenario.display()));
        Self {
            bar,
            scenario_crate: String::new(),
        }
    }

    /// Says what the compiler does now.
    pub fn show(&mut self, progress: Progress) {
        match progress {
            Progress::Extracted(dir) => self.bar.println(format!(
                "extracted runtara's sources into {}; this first compile in this cache also \
                 builds the runtime, which takes a few minutes",
                dir.display()
            )),
            Progress::Checked => self.bar.set_message("generating Rust"),
            Progress::Generated(dir) => {
                self.scenario_crate = dir
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                self.bar
                    .set_message("building (the first build also builds the runtime)")
            }
            Progress::Compiled(name) if name != self.scenario_crate => self.bar.set_message(
                format!("building the runtime, once per cache (a few minutes): compiled {name}"),
            ),
            Progress::Compiled(name) => self.bar.set_message(format!("compiled {name}")),
        }
    }

    /// Clears the spinner.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// `<scenario name>.wasm` (a component), `<scenario name>` (a binary) or
/// `<scenario name>.elf` (firmware) in the current directory.
fn default_output(scenario: &Path, target: CompilationTarget) -> PathBuf {
    let name = runtara_compiler::scenario_name(scenario);
    match target {
        CompilationTarget::Wasi => PathBuf::from(format!("{name}.wasm")),
        CompilationTarget::Native => PathBuf::from(name),
        CompilationTarget::Embedded => PathBuf::from(format!("{name}.elf")),
    }
}

pub fn parse_child(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((id, file)) if !id.is_empty() && !file.is_empty() => Ok((id.to_owned(), file.into())),
        _ => Err(format!(
            "expected ID=FILE (e.g. `--child enrich=enrich.json`), got {text:?}"
        )),
    }
}
