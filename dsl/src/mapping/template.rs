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

use super::Scope;
use crate::eval_error::EvalError;
#[cfg(feature = "std")]
use minijinja::{Environment, UndefinedBehavior};

/// Instructions a single render may execute.
#[cfg(feature = "std")]
const FUEL: u64 = 5_000_000;

/// What a template is named in its errors: what `Environment::render_str` calls it.
#[cfg(feature = "std")]
const NAME: &str = "<string>";

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

/// Renders `source` against `scope`. The template is compiled on its first render
/// and kept (see [`compiled`]); the context holds only what the template reads.
#[cfg(feature = "std")]
pub fn render_template<S: Scope + ?Sized>(source: &str, scope: &S) -> Result<String, EvalError> {
    let compiled = compiled::compiled(source)?;
    let context = match &compiled.reads {
        Some(reads) => alloc::borrow::Cow::Owned(compiled::context(scope, reads)),
        None => scope.whole(),
    };
    compiled
        .env
        .get_template(NAME)
        .and_then(|template| {
            template.render(minijinja::value::Value::from(minijinja::value::Serde(
                context.as_ref(),
            )))
        })
        .map_err(|err| template_error(&err))
}

#[cfg(feature = "std")]
mod compiled {
    //! Templates compiled once per process, and the part of the scope each reads.
    //!
    //! A render gets as its context only the scope's members that the template
    //! names (minijinja's `undeclared_variables`, nested: `data.name`,
    //! `steps.fetch.outputs`), each at the deepest object member its path reaches,
    //! whole from there on. Converting the whole scope for every render would cost
    //! as much as the scope is large, which inside a Split over its input is the
    //! whole input per iteration.

    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex, PoisonError};

    use minijinja::Environment;
    use serde_json::{Map, Value};

    use super::{NAME, Scope, environment, template_error};
    use crate::eval_error::EvalError;
    use crate::path::{Path, Segment};
    use crate::prelude::*;

    /// Words of the statements that bind names (`{% set data = data.x %}` reads
    /// `data` before binding it, which `undeclared_variables` does not report):
    /// a template with one of them sees the whole scope.
    const BINDING_WORDS: [&str; 8] = [
        "set", "with", "macro", "call", "import", "include", "extends", "block",
    ];

    /// One template, compiled.
    pub(super) struct Compiled {
        /// Holds the template alone, under [`NAME`].
        pub(super) env: Environment<'static>,
        /// The scope paths the template reads, or `None` when it sees the whole scope.
        pub(super) reads: Option<Vec<Path>>,
    }

    /// `source` compiled: on its first render, then from the cache.
    pub(super) fn compiled(source: &str) -> Result<Arc<Compiled>, EvalError> {
        static CACHE: LazyLock<Mutex<HashMap<String, Arc<Compiled>>>> =
            LazyLock::new(Default::default);
        let cache = || CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(compiled) = cache().get(source) {
            return Ok(compiled.clone());
        }
        let compiled = Arc::new(compile(source)?);
        cache().insert(source.to_owned(), compiled.clone());
        Ok(compiled)
    }

    fn compile(source: &str) -> Result<Compiled, EvalError> {
        let mut env = environment();
        env.add_template_owned(NAME, source.to_owned())
            .map_err(|err| template_error(&err))?;
        let binds = source.contains("{%") && BINDING_WORDS.iter().any(|w| source.contains(w));
        let reads = match env.get_template(NAME) {
            Ok(template) if !binds => Some(
                template
                    .undeclared_variables(true)
                    .into_iter()
                    .filter_map(|read| {
                        Path::from_segments(
                            read.split('.')
                                .map(|name| Segment::Key(name.to_owned()))
                                .collect(),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        };
        Ok(Compiled { env, reads })
    }

    /// The context of a template that reads `reads`: each read's deepest object
    /// member in `scope`, whole, under its path; members nothing reads are left out.
    pub(super) fn context<S: Scope + ?Sized>(scope: &S, reads: &[Path]) -> Value {
        let mut reached: Vec<(&[Segment], Value)> = reads
            .iter()
            .filter_map(|read| deepest_member(scope, read.segments()))
            .collect();
        // A member taken whole holds any deeper one that is read.
        reached.sort_by_key(|(at, _)| at.len());
        let mut taken: Vec<&[Segment]> = Vec::new();
        let mut context = Map::new();
        for (at, value) in reached {
            if taken.iter().any(|whole| at.starts_with(whole)) {
                continue;
            }
            insert_at(&mut context, at, value);
            taken.push(at);
        }
        Value::Object(context)
    }

    /// The longest start of `segments` that names an object member in `scope`, and its value.
    fn deepest_member<'p, S: Scope + ?Sized>(
        scope: &S,
        segments: &'p [Segment],
    ) -> Option<(&'p [Segment], Value)> {
        (1..=segments.len()).rev().find_map(|len| {
            let start = &segments[..len];
            let path = Path::from_segments(start.to_vec())?;
            scope.member(&path).map(|value| (start, value.into_owned()))
        })
    }

    /// Puts `value` at `at` (a path of object members) inside `context`.
    fn insert_at(context: &mut Map<String, Value>, at: &[Segment], value: Value) {
        let Some((Segment::Key(last), parents)) = at.split_last() else {
            return;
        };
        let mut current = context;
        for parent in parents {
            let Segment::Key(name) = parent else { return };
            let entry = current
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(members) = entry else {
                return;
            };
            current = members;
        }
        current.insert(last.clone(), value);
    }
}

/// Checks that `source` compiles, without rendering it.
#[cfg(feature = "std")]
pub fn check_template(source: &str) -> Result<(), EvalError> {
    compiled::compiled(source).map(|_| ())
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
pub fn render_template<S: Scope + ?Sized>(source: &str, _scope: &S) -> Result<String, EvalError> {
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

    /// The context holds only what the template reads; it renders what the whole
    /// scope renders.
    #[test]
    fn a_partial_context_renders_as_the_whole_scope() {
        let scope = json!({
            "data": {"name": "ada", "items": [3, 1, 2], "obj": {"b": 1, "a": {"c": 2}}, "nil": null},
            "steps": {"fetch": {"outputs": {"body": {"items": [{"id": 7}]}, "n": 2}}},
            "variables": {"count": 3, "_index": 1},
            "loop": {"index": 4},
        });
        let templates = [
            "Hello {{ data.name | upper }} x{{ variables.count }}",
            "{{ data.items | tojson }} {{ data.items[1] }} {{ data.items.0 }}",
            "[{{ data.missing.deeper }}] [{{ nothing }}] [{{ data.nil }}]",
            "{% for x in data.items %}{{ loop.index }}:{{ x }},{% endfor %} {{ loop.index }}",
            "{{ steps.fetch.outputs.body.items[0].id }} {{ steps.fetch.outputs.n + 1 }}",
            "{{ data.obj.a.c }} {{ data.obj | items | list }} {{ data.name.upper() }}",
            "{{ data.obj }} {{ data.obj.a }} {{ variables | tojson }}",
            "{% if data.x is defined %}x{% endif %}{% if data.obj.a is mapping %}m{% endif %}",
            "{{ data['name'] }} {{ data.obj['a'].c }} {{ range(2) | list }}",
            "{% set data = data.obj %}{{ data.b }}{% with steps = 1 %}{{ steps }}{% endwith %}",
            "{{ steps | length }} {{ steps.missing }} {{ steps.fetch.missing.x }}",
        ];
        for source in templates {
            let whole = environment()
                .render_str(
                    source,
                    minijinja::value::Value::from(minijinja::value::Serde(&scope)),
                )
                .map_err(|err| template_error(&err));
            assert_eq!(render_template(source, &scope), whole, "{source}");
        }
    }

    #[test]
    fn a_template_reads_only_what_it_names() {
        let scope = json!({"data": {"name": "ada", "big": [1, 2, 3]}, "steps": {}});
        let compiled = compiled::compiled("{{ data.name }}{{ data.missing }}").unwrap();
        let reads = compiled.reads.as_ref().unwrap();
        // data.missing is not there: the deepest member its path reaches is data, whole.
        assert_eq!(
            compiled::context(&scope, reads),
            json!({"data": scope["data"]})
        );
        let compiled = compiled::compiled("{{ data.name }}").unwrap();
        let reads = compiled.reads.as_ref().unwrap();
        assert_eq!(
            compiled::context(&scope, reads),
            json!({"data": {"name": "ada"}})
        );
        let binding = compiled::compiled("{% set x = data.name %}{{ x }}").unwrap();
        assert!(
            binding.reads.is_none(),
            "a binding template sees the whole scope"
        );
    }

    #[test]
    fn a_template_compiles_once() {
        let source = "{{ data.name }} compiled once";
        let first = compiled::compiled(source).unwrap();
        let again = compiled::compiled(source).unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again));
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
