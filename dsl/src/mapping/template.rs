//! Template mapping values, rendered with minijinja.
//!
//! The whole scope is the template's context, so `{{ data.name }}`,
//! `{{ steps.fetch.outputs.body.id }}` and `{{ variables.count }}` work.
//! Missing values render as empty text, also through chains
//! (`{{ data.missing.deeper }}`; minijinja's "chainable" undefined). The
//! `tojson` filter is available. Rendering has a fuel budget so that a
//! runaway loop fails instead of hanging the workflow.
//!
//! minijinja needs `std`: without it (embedded firmware) only plain text renders
//! (as itself, as minijinja renders it), any other template fails, and `runtara
//! compile --target embedded` refuses scenarios that use one.

use crate::prelude::*;
use serde_json::Value;

use crate::eval_error::EvalError;
#[cfg(feature = "std")]
use minijinja::{Environment, UndefinedBehavior};

/// Instructions a single render may execute.
#[cfg(feature = "std")]
const FUEL: u64 = 5_000_000;

#[cfg(feature = "std")]
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(FUEL));
    // minijinja's debug mode (on by default only in debug builds) makes errors name
    // what failed; set it so a compiled scenario reports what `runtara check` does.
    env.set_debug(true);
    env
}

#[cfg(feature = "std")]
fn template_error(err: &minijinja::Error) -> EvalError {
    let mut message = err.to_string();
    if let Some(detail) = err.detail()
        && !message.contains(detail)
    {
        message = format!("{message}: {detail}");
    }
    EvalError::Template { message }
}

/// Renders `source` against `scope`.
#[cfg(feature = "std")]
pub fn render_template(source: &str, scope: &Value) -> Result<String, EvalError> {
    environment()
        .render_str(
            source,
            minijinja::value::Value::from(minijinja::value::Serde(scope)),
        )
        .map_err(|err| template_error(&err))
}

/// Checks that `source` compiles, without rendering it.
#[cfg(feature = "std")]
pub fn check_template(source: &str) -> Result<(), EvalError> {
    environment()
        .template_from_str(source)
        .map(|_| ())
        .map_err(|err| template_error(&err))
}

/// Whether `source` has no template syntax (`{{`, `{%`, `{#`): it renders as itself.
pub fn is_plain_text(source: &str) -> bool {
    !["{{", "{%", "{#"]
        .iter()
        .any(|start| source.contains(start))
}

/// Without `std` there is no template engine: plain text renders as itself (less
/// one trailing newline, as minijinja renders it), any other template fails.
#[cfg(not(feature = "std"))]
pub fn render_template(source: &str, _scope: &Value) -> Result<String, EvalError> {
    if !is_plain_text(source) {
        return Err(no_templates());
    }
    let text = source.strip_suffix('\n').unwrap_or(source);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

/// Without `std` there is no template engine: only plain text passes.
#[cfg(not(feature = "std"))]
pub fn check_template(source: &str) -> Result<(), EvalError> {
    if is_plain_text(source) {
        Ok(())
    } else {
        Err(no_templates())
    }
}

#[cfg(not(feature = "std"))]
fn no_templates() -> EvalError {
    EvalError::Template {
        message: "templates are not available in builds without std (embedded firmware)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_against_the_scope() {
        let scope = json!({"data": {"name": "ada", "items": [1, 2]}, "variables": {"n": 3}});
        assert_eq!(
            render_template("Hello {{ data.name | upper }} x{{ variables.n }}", &scope).unwrap(),
            "Hello ADA x3"
        );
        assert_eq!(
            render_template("{% for i in data.items %}{{ i }},{% endfor %}", &scope).unwrap(),
            "1,2,"
        );
        assert_eq!(
            render_template("{{ data.items | tojson }}", &scope).unwrap(),
            "[1, 2]"
        );
        assert_eq!(
            render_template("[{{ data.missing.deeper }}]", &scope).unwrap(),
            "[]"
        );
    }

    #[test]
    fn errors_are_eval_errors() {
        let err = render_template("{{ data.name ", &json!({})).unwrap_err();
        assert!(matches!(err, EvalError::Template { .. }), "{err:?}");
        assert!(err.to_string().starts_with("template error: "), "{err}");
        assert!(check_template("{% if %}").is_err());
        assert!(check_template("{{ a }}").is_ok());
    }

    #[test]
    fn plain_text_renders_as_itself_less_one_trailing_newline() {
        // What the no_std build does without minijinja, checked against minijinja.
        for text in ["order summarised", "a\n", "a\n\n", "", "{ not a tag }"] {
            assert!(is_plain_text(text));
            let rendered = render_template(text, &json!({})).unwrap();
            let without = text.strip_suffix('\n').unwrap_or(text);
            assert_eq!(
                rendered,
                without.strip_suffix('\r').unwrap_or(without),
                "{text:?}"
            );
        }
        assert!(!is_plain_text("Hello {{ data.name }}"));
        assert!(!is_plain_text("{% if x %}{% endif %}"));
        assert!(!is_plain_text("{# note #}"));
    }

    #[test]
    fn runaway_loops_run_out_of_fuel() {
        let err = render_template(
            "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
            &json!({}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("fuel"), "{err}");
    }
}
