//! The firmware's start: arguments, input, the run, its report and exit status.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use runtara_runtime::serde_json::{self, Value, json};
use runtara_runtime::{Durable, PAUSED, SUSPENDED, WorkflowError};
use semihosting::fs::File;
use semihosting::io::Read;

use crate::flash::RamFlash;
use crate::store::{FlashDurable, FlashStore, SharedStore, Start};

/// The largest input or signals file read, in bytes.
pub const MAX_FILE: usize = 1024 * 1024;

/// The firmware's arguments (semihosting's command line; the first is the program).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub input: String,
    pub flash: String,
    pub signals: Option<String>,
    pub instance: String,
    pub stop_after: Option<u32>,
    pub stats: bool,
    /// The workflow to run, of those the firmware carries; `None` is its own.
    pub workflow: Option<String>,
}

impl Args {
    /// Parses `args`, the program name left out.
    pub fn parse<'a>(args: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut parsed = Self {
            input: "input.json".into(),
            flash: "flash.img".into(),
            signals: None,
            instance: "default".into(),
            stop_after: None,
            stats: false,
            workflow: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{arg} needs a value"))
            };
            match arg {
                "--input" => parsed.input = value()?,
                "--flash" => parsed.flash = value()?,
                "--signals" => parsed.signals = Some(value()?),
                "--instance" => parsed.instance = value()?,
                "--stop-after" => {
                    let n = value()?;
                    parsed.stop_after = Some(
                        n.parse()
                            .map_err(|_| format!("--stop-after {n}: not a count"))?,
                    );
                }
                "--stats" => parsed.stats = true,
                "--workflow" => parsed.workflow = Some(value()?),
                other => {
                    return Err(format!(
                        "unknown argument {other} (known: --input PATH, --flash PATH, \
                         --signals PATH, --instance ID, --workflow ID, --stop-after N, --stats)"
                    ));
                }
            }
        }
        Ok(parsed)
    }

    fn from_semihosting() -> Result<Self, String> {
        let args = semihosting::experimental::env::args::<1024>()
            .map_err(|e| format!("cannot read the command line through semihosting: {e:?}"))?;
        let args: Vec<&str> = (&args)
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|_| "the command line is not UTF-8".to_string())?;
        Self::parse(args.into_iter().skip(1))
    }
}

/// The host file at `path`, at most `max` bytes; `None` when it cannot be opened.
pub fn read_file(path: &str, max: usize) -> Result<Option<Vec<u8>>, String> {
    let c_path =
        alloc::ffi::CString::new(path).map_err(|_| format!("{path:?} holds a NUL byte"))?;
    let Ok(mut file) = File::open(&c_path) else {
        return Ok(None);
    };
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read the size of {path}: {e:?}"))?
        .len();
    if len > max as u64 {
        return Err(format!(
            "{path} is {len} bytes, more than the {max} the board reads"
        ));
    }
    let mut bytes = vec![0; len as usize];
    file.read_exact(&mut bytes)
        .map_err(|e| format!("cannot read {path}: {e:?}"))?;
    Ok(Some(bytes))
}

/// The exit status of a run that ended with `error`, as `runtara_runtime::command`
/// gives it: 3 when it stopped to be resumed (paused or suspended), else 1.
pub fn exit_status(error: &WorkflowError) -> i32 {
    if error.code == PAUSED || error.code == SUSPENDED {
        3
    } else {
        1
    }
}

/// Prints how a run ended (the output on stdout, or `{"error": ...}` on stderr) and
/// returns the exit status.
pub fn report(result: Result<Value, WorkflowError>) -> i32 {
    match result {
        Ok(output) => {
            semihosting::println!("{output}");
            0
        }
        Err(error) => {
            semihosting::eprintln!("{}", json!({ "error": error.to_json() }));
            exit_status(&error)
        }
    }
}

/// The board could not start the run: says why, as a workflow error, status 2.
fn fail_to_start(code: &str, message: String) -> i32 {
    let error = WorkflowError::workflow(code, message);
    semihosting::eprintln!("{}", json!({ "error": error.to_json() }));
    2
}

/// Runs one of `workflows` on the board once, as the command line says (the
/// firmware's own, `workflow_ids[0]`, unless `--workflow` names another of
/// `workflow_ids`); returns the exit status.
pub fn main(
    workflow_ids: &[&str],
    workflows: impl FnOnce(&str, &str, Value, &mut dyn Durable) -> Option<Result<Value, WorkflowError>>,
) -> i32 {
    let args = match Args::from_semihosting() {
        Ok(args) => args,
        Err(error) => return fail_to_start("BAD_ARGUMENTS", error),
    };
    let workflow_id = match &args.workflow {
        None => workflow_ids[0],
        Some(id) => match workflow_ids.iter().find(|known| **known == id.as_str()) {
            Some(known) => known,
            None => {
                return fail_to_start(
                    "BAD_ARGUMENTS",
                    format!(
                        "--workflow {id}: this firmware carries the workflows {}",
                        workflow_ids.join(", ")
                    ),
                );
            }
        },
    };
    let status = run_instance(workflow_id, &args, workflows);
    if args.stats {
        semihosting::eprintln!(
            "{{\"heapUsed\":{},\"heapSize\":{},\"uptimeMs\":{}}}",
            crate::heap::peak(),
            crate::heap::size(),
            embassy_time::Instant::now().as_millis()
        );
    }
    status
}

fn run_instance(
    workflow_id: &str,
    args: &Args,
    workflows: impl FnOnce(&str, &str, Value, &mut dyn Durable) -> Option<Result<Value, WorkflowError>>,
) -> i32 {
    let text = match read_file(&args.input, MAX_FILE) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return fail_to_start(
                "INPUT_UNREADABLE",
                format!("cannot read the workflow input {}", args.input),
            );
        }
        Err(error) => return fail_to_start("INPUT_UNREADABLE", error),
    };
    let input: Value = match serde_json::from_slice(&text) {
        Ok(input) => input,
        Err(e) => {
            return report(Err(WorkflowError::workflow(
                "INPUT_INVALID_JSON",
                format!("the workflow input {} is not valid JSON: {e}", args.input),
            )));
        }
    };
    drop(text);
    let flash = match RamFlash::open(&args.flash) {
        Ok(flash) => flash,
        Err(error) => return fail_to_start("FLASH_UNREADABLE", error),
    };
    let mut durable = FlashDurable::new(
        SharedStore::install(FlashStore::new(flash)),
        workflow_id,
        &args.instance,
        &input,
    )
    .with_signals(args.signals.clone())
    .with_stop_after(args.stop_after);
    match durable.start() {
        Ok(Start::Run) => match workflows(workflow_id, &args.instance, input, &mut durable) {
            Some(result) => report(result),
            None => fail_to_start(
                "BAD_ARGUMENTS",
                format!("the firmware does not carry the workflow {workflow_id}"),
            ),
        },
        Ok(Start::Ended(record)) => {
            semihosting::eprintln!(
                "instance '{}' already ended ({}); its result:",
                args.instance,
                record["status"].as_str().unwrap_or("?")
            );
            if record["status"] == "completed" {
                semihosting::println!("{}", record["output"]);
                0
            } else {
                semihosting::eprintln!("{}", json!({ "error": record["error"] }));
                1
            }
        }
        Ok(Start::Refused(why)) => fail_to_start("INSTANCE_MISMATCH", why),
        Err(error) => fail_to_start("FLASH_UNREADABLE", error),
    }
}

/// Stops the board after a failure of the board itself: message on stderr, status 2.
pub(crate) fn abort(message: &str) -> ! {
    semihosting::eprintln!("{message}");
    semihosting::process::exit(2)
}
