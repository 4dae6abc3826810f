//! A check of a `spin.toml` against Spin's manifest reference (version 2, as
//! published for Spin 3: <https://spinframework.dev/v3/manifest-reference>).
//!
//! Spin refuses unknown fields in the tables checked here, so they are problems
//! too. The rules are the reference's; where it is loose (an application name
//! of "alphanumeric characters, hyphens and underscores") the check keeps to it.

use toml::{Table, Value};

/// The schemes whose port `allowed_outbound_hosts` may leave out.
const DEFAULT_PORT_SCHEMES: &[&str] = &["http", "https", "postgres", "mysql", "redis", "mqtt"];

const TOP_LEVEL: &[&str] = &[
    "spin_manifest_version",
    "application",
    "variables",
    "trigger",
    "component",
];
const APPLICATION: &[&str] = &[
    "name",
    "version",
    "description",
    "authors",
    "trigger",
    "tool",
    "targets",
];
const HTTP_TRIGGER: &[&str] = &["id", "route", "component", "executor", "static_response"];
const COMPONENT: &[&str] = &[
    "source",
    "description",
    "files",
    "exclude_files",
    "allowed_outbound_hosts",
    "allowed_http_hosts",
    "key_value_stores",
    "sqlite_databases",
    "ai_models",
    "environment",
    "variables",
    "build",
    "dependencies_inherit_configuration",
    "dependencies",
    "tool",
];
const VARIABLE: &[&str] = &["description", "default", "required", "secret"];

/// Every way `text` departs from the manifest reference, each naming the field.
pub fn check_manifest(text: &str) -> Vec<String> {
    let table: Table = match text.parse() {
        Ok(table) => table,
        Err(e) => return vec![format!("not TOML: {e}")],
    };
    let mut problems = Problems::default();
    problems.unknown_keys("", &table, TOP_LEVEL);
    match table.get("spin_manifest_version") {
        Some(Value::Integer(2)) => {}
        Some(other) => problems.add(
            "spin_manifest_version",
            format!("must be the number 2, not {other}"),
        ),
        None => problems.add("spin_manifest_version", "is missing (it must be 2)"),
    }
    match table.get("application") {
        Some(Value::Table(application)) => check_application(application, &mut problems),
        Some(_) => problems.add("application", "must be a table"),
        None => problems.add("application", "is missing"),
    }
    if let Some(variables) = problems.table(&table, "variables") {
        for (name, variable) in variables {
            check_variable(name, variable, &mut problems);
        }
    }
    let components = match table.get("component") {
        Some(Value::Table(components)) => components.clone(),
        Some(_) => {
            problems.add("component", "must be a table of components by id");
            Table::new()
        }
        None => {
            problems.add("component", "is missing: an application needs a component");
            Table::new()
        }
    };
    for (id, component) in &components {
        check_component(&format!("component.{id}"), id, component, &mut problems);
    }
    match table.get("trigger") {
        Some(Value::Table(triggers)) => match triggers.get("http") {
            Some(Value::Array(http)) => {
                for (index, trigger) in http.iter().enumerate() {
                    check_http_trigger(index, trigger, &components, &mut problems);
                }
            }
            Some(_) => problems.add(
                "trigger.http",
                "must be an array of tables ([[trigger.http]])",
            ),
            None if triggers.is_empty() => problems.add("trigger", "names no trigger"),
            None => {}
        },
        Some(_) => problems.add("trigger", "must be a table"),
        None => problems.add("trigger", "is missing: an application needs a trigger"),
    }
    problems.0
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, field: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{field}: {problem}"));
    }

    fn unknown_keys(&mut self, at: &str, table: &Table, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                let field = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                self.add(&field, "is not a field Spin knows");
            }
        }
    }

    /// `table[key]` when it is a table; a problem when it is something else.
    fn table<'a>(&mut self, table: &'a Table, key: &str) -> Option<&'a Table> {
        match table.get(key) {
            Some(Value::Table(inner)) => Some(inner),
            Some(_) => {
                self.add(key, "must be a table");
                None
            }
            None => None,
        }
    }

    fn string(&mut self, field: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            _ => {
                self.add(field, "must be a string");
                None
            }
        }
    }

    fn strings(&mut self, field: &str, value: &Value) -> Vec<String> {
        match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.string(&format!("{field}[{i}]"), item))
                .collect(),
            _ => {
                self.add(field, "must be an array of strings");
                Vec::new()
            }
        }
    }
}

fn check_application(application: &Table, problems: &mut Problems) {
    problems.unknown_keys("application", application, APPLICATION);
    match application.get("name") {
        Some(name) => {
            if let Some(name) = problems.string("application.name", name)
                && (name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            {
                problems.add(
                    "application.name",
                    format!("{name:?} must be alphanumeric characters, hyphens and underscores"),
                );
            }
        }
        None => problems.add("application.name", "is missing"),
    }
    if let Some(version) = application.get("version")
        && let Some(version) = problems.string("application.version", version)
    {
        let parts: Vec<&str> = version.split('.').collect();
        if parts.len() != 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            problems.add(
                "application.version",
                format!("{version:?} must be major.minor.patch, each a number"),
            );
        }
    }
    if let Some(description) = application.get("description") {
        problems.string("application.description", description);
    }
    if let Some(authors) = application.get("authors") {
        problems.strings("application.authors", authors);
    }
    if let Some(Value::Table(trigger)) = application.get("trigger")
        && let Some(Value::Table(http)) = trigger.get("http")
        && http.contains_key("base")
    {
        problems.add(
            "application.trigger.http.base",
            "was removed in Spin 3: put the whole path in each route",
        );
    }
}

fn check_variable(name: &str, variable: &Value, problems: &mut Problems) {
    let field = format!("variables.{name}");
    if !is_snake_case(name) {
        problems.add(
            &field,
            "a variable name is lowercase letters, digits and '_', starting with a letter",
        );
    }
    let Value::Table(variable) = variable else {
        problems.add(&field, "must be a table");
        return;
    };
    problems.unknown_keys(&field, variable, VARIABLE);
    let required = matches!(variable.get("required"), Some(Value::Boolean(true)));
    if required == variable.contains_key("default") {
        problems.add(
            &field,
            "must either have a default or be required = true (not both)",
        );
    }
}

fn check_component(field: &str, id: &str, component: &Value, problems: &mut Problems) {
    if !is_kebab_case(id) {
        problems.add(
            field,
            "a component id is kebab-case: words of letters and digits joined by '-', starting with a letter",
        );
    }
    let Value::Table(component) = component else {
        problems.add(field, "must be a table");
        return;
    };
    problems.unknown_keys(field, component, COMPONENT);
    match component.get("source") {
        Some(Value::String(path)) if !path.is_empty() => {}
        Some(Value::Table(source)) => {
            check_source_table(&format!("{field}.source"), source, problems)
        }
        Some(_) => problems.add(
            &format!("{field}.source"),
            "must be a path, a { url, digest } table or a { registry, package, version } table",
        ),
        None => problems.add(&format!("{field}.source"), "is missing"),
    }
    if let Some(description) = component.get("description") {
        problems.string(&format!("{field}.description"), description);
    }
    if component.contains_key("allowed_http_hosts") {
        problems.add(
            &format!("{field}.allowed_http_hosts"),
            "is deprecated: use allowed_outbound_hosts",
        );
    }
    if let Some(hosts) = component.get("allowed_outbound_hosts") {
        let at = format!("{field}.allowed_outbound_hosts");
        for (i, host) in problems.strings(&at, hosts).into_iter().enumerate() {
            if let Err(problem) = check_outbound_host(&host) {
                problems.add(&format!("{at}[{i}]"), format!("{host:?} {problem}"));
            }
        }
    }
    if let Some(stores) = component.get("key_value_stores") {
        let at = format!("{field}.key_value_stores");
        for (i, store) in problems.strings(&at, stores).into_iter().enumerate() {
            if !is_kebab_case(&store) && !is_snake_case(&store) {
                problems.add(
                    &format!("{at}[{i}]"),
                    format!("{store:?} must be kebab-case or snake_case"),
                );
            }
        }
    }
    if let Some(environment) = component.get("environment") {
        let at = format!("{field}.environment");
        match environment {
            Value::Table(environment) => {
                for (name, value) in environment {
                    problems.string(&format!("{at}.{name}"), value);
                }
            }
            _ => problems.add(&at, "must be a table of strings"),
        }
    }
    if let Some(variables) = component.get("variables") {
        let at = format!("{field}.variables");
        match variables {
            Value::Table(variables) => {
                for (name, value) in variables {
                    if !is_snake_case(name) {
                        problems.add(&format!("{at}.{name}"), "a variable name is snake_case");
                    }
                    problems.string(&format!("{at}.{name}"), value);
                }
            }
            _ => problems.add(&at, "must be a table of strings"),
        }
    }
}

fn check_source_table(field: &str, source: &Table, problems: &mut Problems) {
    if source.contains_key("url") {
        problems.unknown_keys(field, source, &["url", "digest"]);
        match source.get("digest") {
            Some(Value::String(digest)) if digest.starts_with("sha256:") => {}
            _ => problems.add(&format!("{field}.digest"), "must be \"sha256:<hex>\""),
        }
    } else {
        problems.unknown_keys(field, source, &["registry", "package", "version"]);
        for key in ["package", "version"] {
            if !matches!(source.get(key), Some(Value::String(_))) {
                problems.add(&format!("{field}.{key}"), "must be a string");
            }
        }
    }
}

fn check_http_trigger(index: usize, trigger: &Value, components: &Table, problems: &mut Problems) {
    let field = format!("trigger.http[{index}]");
    let Value::Table(trigger) = trigger else {
        problems.add(&field, "must be a table");
        return;
    };
    problems.unknown_keys(&field, trigger, HTTP_TRIGGER);
    match trigger.get("route") {
        Some(Value::String(route)) => {
            if !route.starts_with('/') {
                problems.add(
                    &format!("{field}.route"),
                    format!("{route:?} must start with '/'"),
                );
            }
            if route.starts_with("/.well-known/spin/") {
                problems.add(
                    &format!("{field}.route"),
                    "/.well-known/spin/ is reserved by Spin",
                );
            }
        }
        Some(Value::Table(route)) if route.get("private") == Some(&Value::Boolean(true)) => {}
        Some(_) => problems.add(
            &format!("{field}.route"),
            "must be a path or { private = true }",
        ),
        None => problems.add(&format!("{field}.route"), "is missing"),
    }
    match (
        trigger.get("component"),
        trigger.contains_key("static_response"),
    ) {
        (Some(Value::String(id)), false) => {
            if !components.contains_key(id) {
                problems.add(
                    &format!("{field}.component"),
                    format!("{id:?} is not a component of this application"),
                );
            }
        }
        (Some(Value::Table(inline)), false) => check_component(
            &format!("{field}.component"),
            "inline",
            &Value::Table(inline.clone()),
            problems,
        ),
        (Some(_), false) => problems.add(
            &format!("{field}.component"),
            "must be a component id or a component table",
        ),
        (None, true) => {}
        (Some(_), true) => problems.add(&field, "has both a component and a static_response"),
        (None, false) => problems.add(&format!("{field}.component"), "is missing"),
    }
    if let Some(executor) = trigger.get("executor") {
        match executor {
            Value::Table(executor) if matches!(executor.get("type"), Some(Value::String(t)) if t == "spin" || t == "wagi") =>
                {}
            _ => problems.add(
                &format!("{field}.executor"),
                "must be a table whose type is \"spin\" or \"wagi\"",
            ),
        }
    }
}

/// Why `entry` is not a valid `allowed_outbound_hosts` entry:
/// `scheme://host[:port]`, where the scheme may be `*`, the host `*`, `*.domain`,
/// a name, an IPv4 address or network, `[ipv6]`, or `self`, and the port a
/// number, `*` or a range `start..end` (it may be left out for schemes with a
/// default port); or a `{{ variable }}` template.
pub fn check_outbound_host(entry: &str) -> Result<(), String> {
    if entry.contains("{{") {
        return Ok(());
    }
    let (scheme, rest) = entry
        .split_once("://")
        .ok_or("must be scheme://host[:port], e.g. https://api.example.com")?;
    let scheme_ok = scheme == "*"
        || (scheme.starts_with(|c: char| c.is_ascii_lowercase())
            && scheme
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c)));
    if !scheme_ok {
        return Err(format!("has an invalid scheme {scheme:?}"));
    }
    let (host, port) = split_port(rest)?;
    if host.is_empty() {
        return Err("has no host".into());
    }
    let body = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = host == "*"
        || (host.starts_with('[') && host.ends_with(']'))
        || (!body.is_empty()
            && !body.contains('*')
            && body.split(['.', '/']).all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }));
    if !host_ok {
        return Err(format!(
            "has an invalid host {host:?} (a name, an address, `*` or `*.domain`; no path)"
        ));
    }
    match port {
        Some(port) => {
            let valid_number = |p: &str| p.parse::<u16>().is_ok();
            let port_ok = port == "*"
                || valid_number(port)
                || port
                    .split_once("..")
                    .is_some_and(|(a, b)| valid_number(a) && valid_number(b));
            if !port_ok {
                return Err(format!("has an invalid port {port:?}"));
            }
        }
        None if scheme == "*" || !DEFAULT_PORT_SCHEMES.contains(&scheme) => {
            return Err(format!("needs a port: {scheme} has no default port"));
        }
        None => {}
    }
    Ok(())
}

/// `host` and the port after its last `:` (outside `[...]`).
fn split_port(rest: &str) -> Result<(&str, Option<&str>), String> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['?', '#']) || rest.trim_start_matches('[').contains('/') && !is_network(rest)
    {
        return Err("must not have a path".into());
    }
    let after_bracket = rest.rfind(']').map_or(0, |i| i + 1);
    match rest[after_bracket..].rfind(':') {
        Some(i) => Ok((
            &rest[..after_bracket + i],
            Some(&rest[after_bracket + i + 1..]),
        )),
        None => Ok((rest, None)),
    }
}

/// Whether `host` is an IPv4 network, `a.b.c.d/bits`, perhaps with a port.
fn is_network(host: &str) -> bool {
    let Some((address, bits)) = host.split_once('/') else {
        return false;
    };
    let bits = bits.split(':').next().unwrap_or_default();
    address.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32)
}

/// Spin's kebab-case for ids: words of ASCII letters and digits joined by single
/// `-`, the first starting with a letter, each word all lowercase or all uppercase.
pub fn is_kebab_case(id: &str) -> bool {
    let mut words = id.split('-');
    let first_starts_with_letter = id.starts_with(|c: char| c.is_ascii_alphabetic());
    first_starts_with_letter
        && words.all(|word| {
            !word.is_empty()
                && word.chars().all(|c| c.is_ascii_alphanumeric())
                && (word == word.to_ascii_lowercase() || word == word.to_ascii_uppercase())
        })
}

/// Spin's snake_case for variable names: lowercase ASCII letters and digits in
/// words joined by single `_`, starting with a letter.
fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('_').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2

[application]
name = "order_summary-1"
version = "0.1.0"
authors = ["Ada"]

[variables]
token = { required = true, secret = true }
region = { default = "eu" }

[[trigger.http]]
route = "/..."
component = "order-summary"

[[trigger.http]]
route = { private = true }
component = { source = "other.wasm" }

[component.order-summary]
source = "order-summary.wasm"
allowed_outbound_hosts = ["https://api.example.com", "http://127.0.0.1:8808", "redis://*:*",
  "https://*.example.org", "*://*:*", "http://10.0.0.0/8:80", "http://[::1]:80", "http://self",
  "postgres://db:1000..2000", "{{ api_host }}"]
key_value_stores = ["default"]
environment = { RUNTARA_TENANT_ID = "acme" }
variables = { api_token = "{{ token }}" }
"#;

    #[test]
    fn a_manifest_that_follows_the_reference_passes() {
        assert_eq!(check_manifest(GOOD), Vec::<String>::new());
    }

    #[test]
    fn each_departure_is_named() {
        let bad = r#"
spin_manifest_version = "2"
colour = "blue"

[application]
name = "my app"
version = "1.0"

[application.trigger.http]
base = "/api"

[variables]
Token = { secret = true }

[[trigger.http]]
route = "api"
component = "missing"

[[trigger.http]]
component = "Bad_Id"

[component.Bad_Id]
allowed_outbound_hosts = ["api.example.com", "ftp://files.example.com", "https://example.com/path", "https://ex ample.com", "http://a:99999"]
environment = { PORT = 8080 }
"#;
        let problems = check_manifest(bad);
        let expected = [
            "spin_manifest_version: must be the number 2",
            "colour: is not a field Spin knows",
            "application.name: \"my app\"",
            "application.version: \"1.0\"",
            "application.trigger.http.base: was removed in Spin 3",
            "variables.Token: a variable name is lowercase",
            "variables.Token: must either have a default or be required = true",
            "component.Bad_Id: a component id is kebab-case",
            "component.Bad_Id.source: is missing",
            "allowed_outbound_hosts[0]: \"api.example.com\" must be scheme://host[:port]",
            "allowed_outbound_hosts[1]: \"ftp://files.example.com\" needs a port",
            "allowed_outbound_hosts[2]: \"https://example.com/path\" must not have a path",
            "allowed_outbound_hosts[3]: \"https://ex ample.com\" has an invalid host",
            "allowed_outbound_hosts[4]: \"http://a:99999\" has an invalid port",
            "component.Bad_Id.environment.PORT: must be a string",
            "trigger.http[0].route: \"api\" must start with '/'",
            "trigger.http[0].component: \"missing\" is not a component",
            "trigger.http[1].route: is missing",
        ];
        for problem in expected {
            assert!(
                problems.iter().any(|p| p.contains(problem)),
                "expected {problem:?} among {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    }

    #[test]
    fn a_missing_application_trigger_or_component_is_named() {
        assert_eq!(
            check_manifest("spin_manifest_version = 2"),
            [
                "application: is missing",
                "component: is missing: an application needs a component",
                "trigger: is missing: an application needs a trigger",
            ]
        );
        assert!(check_manifest("not = [toml")[0].starts_with("not TOML"));
    }

    #[test]
    fn ids() {
        for id in ["order-summary", "a1-2b", "API-v2x", "x"] {
            assert!(is_kebab_case(id), "{id}");
        }
        for id in ["", "1a", "a--b", "a_b", "-a", "a-", "MiXed"] {
            assert!(!is_kebab_case(id), "{id}");
        }
    }
}
