//! The hosts a scenario's http steps reach, for `allowed_outbound_hosts`.
//!
//! A step's `url` that is an immediate value, or a template whose scheme and
//! host come before its first `{{`, names its host; a url built from the
//! input or from another step's output cannot be known before the run.

use std::collections::BTreeSet;

use runtara_dsl::{ExecutionGraph, MappingValue, Step};

/// The agent whose steps make outbound HTTP requests.
const HTTP_AGENT: &str = "http";

/// What the http steps of a scenario reach.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutboundHosts {
    /// `scheme://host[:port]`, the port only when it is not the scheme's default.
    pub known: BTreeSet<String>,
    /// The http steps whose host is only known at run time.
    pub unknown: Vec<UnknownHost>,
}

/// An http step whose url names no fixed host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHost {
    /// The step id (nested steps as `split/inner`).
    pub step: String,
    /// How its url is given, e.g. `template "{{ data.api }}/rates"`.
    pub url: String,
}

/// The hosts the http steps of `graph` and of the graphs nested in it reach.
pub fn outbound_hosts(graph: &ExecutionGraph) -> OutboundHosts {
    let mut hosts = OutboundHosts::default();
    collect(graph, "", &mut hosts);
    hosts
}

fn collect(graph: &ExecutionGraph, prefix: &str, hosts: &mut OutboundHosts) {
    for (id, step) in &graph.steps {
        let step_path = format!("{prefix}{id}");
        if let Step::Agent(agent) = step
            && agent.agent_id == HTTP_AGENT
        {
            match agent.input_mapping.get("url") {
                Some(url) => match host_of(url) {
                    Some(host) => {
                        hosts.known.insert(host);
                    }
                    None => hosts.unknown.push(UnknownHost {
                        step: step_path.clone(),
                        url: describe(url),
                    }),
                },
                None => hosts.unknown.push(UnknownHost {
                    step: step_path.clone(),
                    url: "not mapped".into(),
                }),
            }
        }
        for (_, sub) in step.subgraphs() {
            collect(sub, &format!("{step_path}/"), hosts);
        }
    }
}

/// The `scheme://host[:port]` a url mapping always reaches, if it is fixed.
fn host_of(url: &MappingValue) -> Option<String> {
    let text = match url {
        MappingValue::Immediate { value } => value.as_str()?,
        MappingValue::Template { value } => {
            let fixed = &value[..value.find("{{").unwrap_or(value.len())];
            let fixed = &fixed[..fixed.find("{%").unwrap_or(fixed.len())];
            // The host is fixed only when the fixed text goes past it.
            let after_scheme = fixed.split_once("://")?.1;
            if !after_scheme.contains(['/', '?', '#']) && fixed.len() < value.len() {
                return None;
            }
            fixed
        }
        MappingValue::Reference { .. } | MappingValue::Composite(_) => return None,
    };
    origin(text)
}

/// `scheme://host[:port]` of an http(s) URL, as `allowed_outbound_hosts` writes it.
pub fn origin(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

fn describe(url: &MappingValue) -> String {
    match url {
        MappingValue::Immediate { value } => format!("immediate {value}"),
        MappingValue::Reference { value, .. } => format!("reference {value}"),
        MappingValue::Template { value } => format!("template {value:?}"),
        MappingValue::Composite(_) => "composite".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(steps: &str) -> runtara_dsl::Scenario {
        runtara_dsl::parse_scenario(&format!(
            r#"{{ "name": "t", "entryPoint": "a", "steps": {{ {steps} }} }}"#
        ))
        .unwrap()
    }

    fn http_step(id: &str, url: &str) -> String {
        format!(
            r#""{id}": {{ "stepType": "Agent", "id": "{id}", "agentId": "http",
                "capabilityId": "http-request", "inputMapping": {{ "url": {url} }} }}"#
        )
    }

    #[test]
    fn fixed_hosts_are_found_and_others_named() {
        let steps = [
            http_step("a", r#"{ "valueType": "immediate", "value": "https://API.example.com/v1?x=1" }"#),
            http_step("b", r#"{ "valueType": "template", "value": "http://127.0.0.1:8808/rates/{{ data.c }}" }"#),
            http_step("c", r#"{ "valueType": "template", "value": "{{ data.api }}/rates" }"#),
            http_step("d", r#"{ "valueType": "template", "value": "https://{{ data.host }}/x" }"#),
            http_step("e", r#"{ "valueType": "reference", "value": "data.url" }"#),
            http_step("f", r#"{ "valueType": "immediate", "value": "https://example.org:443/" }"#),
        ]
        .join(",");
        let hosts = outbound_hosts(&scenario(&steps).execution_graph);
        assert_eq!(
            hosts.known.into_iter().collect::<Vec<_>>(),
            [
                "http://127.0.0.1:8808",
                "https://api.example.com",
                "https://example.org"
            ]
        );
        let unknown: Vec<&str> = hosts.unknown.iter().map(|u| u.step.as_str()).collect();
        assert_eq!(unknown, ["c", "d", "e"]);
        assert_eq!(hosts.unknown[0].url, r#"template "{{ data.api }}/rates""#);
    }

    #[test]
    fn steps_in_subgraphs_count() {
        let inner = http_step(
            "fetch",
            r#"{ "valueType": "immediate", "value": "https://inner.example.com/" }"#,
        );
        let steps = format!(
            r#""a": {{ "stepType": "Split", "id": "a",
                "config": {{ "value": {{ "valueType": "reference", "value": "data.items" }} }},
                "subgraph": {{ "entryPoint": "fetch", "steps": {{ {inner} }} }} }}"#
        );
        let hosts = outbound_hosts(&scenario(&steps).execution_graph);
        assert_eq!(
            hosts.known.into_iter().collect::<Vec<_>>(),
            ["https://inner.example.com"]
        );
    }
}
