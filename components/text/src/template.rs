//! `render-template`: Jinja-style templates rendered with minijinja.

use minijinja::{Environment, UndefinedBehavior};
use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::input::{field_error, parse};

const CAPABILITY: &str = "render-template";

/// The work one render may do (instructions and allocated bytes, see minijinja's
/// `set_fuel`), so that a runaway template fails instead of hanging the workflow.
/// The same budget as template mappings in scenarios.
const FUEL: u64 = 5_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateInput {
    template: String,
    data: Option<Map<String, Value>>,
    strict: Option<bool>,
}

/// `{ template, data?, strict? }` -> the rendered text.
///
/// `template` uses Jinja syntax (`{{ name | upper }}`, `{% for %}`, `{% if %}`, the
/// `tojson` filter, ...) with the members of `data` as its variables. A missing variable
/// renders as empty text (also through chains like `{{ a.b.c }}`) unless `strict` is
/// true, in which case it is an error. As in Jinja, one trailing newline of the template
/// is dropped. Nothing is HTML-escaped.
///
/// A template that does not parse is an `INVALID_INPUT` error naming `template`; one
/// that fails while rendering (a strict undefined variable, a filter applied to the
/// wrong type, running out of fuel) is a permanent `RENDER_FAILED` error.
pub fn render_template(input: Value) -> Result<Value, AgentError> {
    let TemplateInput {
        template,
        data,
        strict,
    } = parse(CAPABILITY, input)?;
    let env = environment(strict.unwrap_or(false));
    let compiled = env.template_from_str(&template).map_err(|e| {
        field_error(
            CAPABILITY,
            "template",
            format!("does not parse: {}", describe(&e)),
        )
    })?;
    let data = Value::Object(data.unwrap_or_default());
    let context = minijinja::Value::from(minijinja::value::Serde(&data));
    let rendered = compiled.render(context).map_err(|e| {
        AgentError::permanent(
            "RENDER_FAILED",
            format!(
                "{CAPABILITY}: rendering 'template' failed: {}",
                describe(&e)
            ),
        )
        .with_attribute("field", "template")
    })?;
    Ok(Value::String(rendered))
}

fn environment(strict: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(if strict {
        UndefinedBehavior::Strict
    } else {
        UndefinedBehavior::Chainable
    });
    env.set_fuel(Some(FUEL));
    // Debug mode names the undefined expression in errors (`` `a.b` is undefined ``); it
    // defaults to on only with debug assertions, which would make the native and the
    // component builds report different messages.
    env.set_debug(true);
    env
}

/// A minijinja error with its detail and line, on one line.
fn describe(error: &minijinja::Error) -> String {
    let mut message = error.to_string();
    if let Some(detail) = error.detail()
        && !message.contains(detail)
    {
        message = format!("{message}: {detail}");
    }
    message
}
