//! Where a scenario uses templates: `{"valueType": "template"}` mapping values and
//! Log messages with template syntax, which runtara-dsl renders with minijinja.
//! A component of a scenario without them is built without the engine (two thirds
//! of its size), and firmware, which cannot have it, refuses them.

use serde_json::Value;

/// What kind of template was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    /// A `{"valueType": "template"}` mapping value.
    Value,
    /// A Log step's `message` with template syntax.
    LogMessage,
}

/// A template in a scenario document, by its path in the document's graph (e.g.
/// `steps.say.message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub path: String,
    pub kind: TemplateKind,
}

/// Every template in a scenario document (as written), in document order.
pub fn find(document: &Value) -> Vec<Template> {
    let graph = document.get("executionGraph").unwrap_or(document);
    let mut found = Vec::new();
    walk(graph, &mut String::new(), &mut found);
    found
}

fn walk(value: &Value, path: &mut String, found: &mut Vec<Template>) {
    match value {
        Value::Object(members) => {
            if members.get("valueType").and_then(Value::as_str) == Some("template") {
                found.push(Template {
                    path: path.clone(),
                    kind: TemplateKind::Value,
                });
                return;
            }
            if members.get("stepType").and_then(Value::as_str) == Some("Log")
                && let Some(message) = members.get("message").and_then(Value::as_str)
                && !runtara_dsl::mapping::is_plain_text(message)
            {
                found.push(Template {
                    path: format!("{path}.message"),
                    kind: TemplateKind::LogMessage,
                });
            }
            for (key, member) in members {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(member, path, found);
                path.truncate(length);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                walk(item, path, found);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_templates_wherever_they_are_and_only_those() {
        let plain = json!({"steps": {
            "log": {"stepType": "Log", "message": "done"},
            "finish": {"stepType": "Finish",
                       "inputMapping": {"x": {"valueType": "immediate", "value": "{{ x }}"}}}}});
        assert_eq!(find(&plain), []);
        let nested = json!({"executionGraph": {"steps": {"each": {"subgraph": {"steps": {
            "greet": {"inputMapping": {"items": {"valueType": "composite", "value": [
                {"valueType": "template", "value": "hi {{ item }}"}]}}},
            "log": {"stepType": "Log", "message": "n={{ data.n }}"}}}}}}});
        let at = |path: &str, kind| Template {
            path: path.to_owned(),
            kind,
        };
        assert_eq!(
            find(&nested),
            [
                at(
                    "steps.each.subgraph.steps.greet.inputMapping.items.value[0]",
                    TemplateKind::Value
                ),
                at(
                    "steps.each.subgraph.steps.log.message",
                    TemplateKind::LogMessage
                ),
            ]
        );
    }
}
