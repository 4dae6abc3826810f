//! The README written beside `spin.toml`: how to run, call and deploy the application.

use std::fmt::Write;

use super::{SpinApp, TARGET_SPIN, UnknownHost};

impl SpinApp {
    /// The README, in Markdown; `unknown` are the http steps whose hosts
    /// `allowed_outbound_hosts` may miss.
    pub fn readme(&self, unknown: &[UnknownHost]) -> String {
        let path = if self.route.ends_with("/...") {
            format!("{}/", self.route.trim_end_matches("/..."))
        } else {
            self.route.clone()
        };
        let durable = self.environment.contains_key("RUNTARA_HTTP_URL");
        let mut text = format!(
            "# {name} on Spin\n\n\
             Written by `runtara deploy spin`, for Spin {TARGET_SPIN}.x (manifest version 2).\n\n\
             - `{source}`: the scenario composed with its agents and the `http-trigger` adapter. It exports only \
             `wasi:http/incoming-handler`.\n\
             - `spin.toml`: the application. Its HTTP trigger routes `{route}` to the component.\n\n\
             ## Run it\n\n\
             ```sh\n\
             spin up                       # in this directory; listens on http://127.0.0.1:3000\n\
             curl -H 'content-type: application/json' -d @input.json http://127.0.0.1:3000{path}\n\
             ```\n\n\
             The same component runs under `wasmtime serve`, which speaks the same wasi-http world:\n\n\
             ```sh\n\
             wasmtime serve -S cli -S http --addr 127.0.0.1:8080{env} {source}\n\
             ```\n\n\
             ## Deploy it\n\n\
             `spin deploy` uploads it to Fermyon Cloud. `spin registry push REF` publishes it to an OCI \
             registry for SpinKube, or for `spin up --from REF` elsewhere.\n\n\
             ## Requests and responses\n\n\
             - `POST {path}` with the scenario's input as JSON (`content-type: application/json`). An empty \
             body is `{{}}`. The answer is the scenario's output, `200 application/json`.\n\
             - The `runtara-instance-id` request header names the run's instance. Without it, the run \
             gets a fresh UUID. Either way, the response carries it back in the same header.\n\
             - Failures are problem details (`application/problem+json`) with `status`, `detail`, `code`, \
             `step` (the step that failed), `category`, `attributes` and `instanceId`:\n  \
             - 400: the body is not JSON;\n  \
             - 415: the `content-type` is not JSON;\n  \
             - 413: the body is over `RUNTARA_MAX_BODY_BYTES` (10 MiB unless set in `environment`);\n  \
             - 422: the input breaks the scenario's `inputSchema`;\n  \
             - 202: the run stopped at a pause request;\n  \
             - 409: the run was cancelled;\n  \
             - 503: a transient failure (trying again may work);\n  \
             - 500: any other failure.\n",
            name = self.name,
            source = self.source,
            route = self.route,
            env = self
                .environment
                .iter()
                .map(|(key, value)| format!(" --env {key}={}", shell_word(value)))
                .collect::<String>(),
        );
        text.push_str("\n## Durability\n\n");
        if durable {
            text.push_str(
                "Runs checkpoint to the runtara core service (`runtara serve`) at `RUNTARA_HTTP_URL`, \
                 as the tenant `RUNTARA_TENANT_ID`, with the bearer token `RUNTARA_TOKEN`. All three \
                 are in the component's `environment` in `spin.toml`. **`spin.toml` holds the token, so \
                 keep it out of version control.** Send a request again with the same \
                 `runtara-instance-id` after a crash or a pause: the run resumes, and steps that \
                 finished are not run again.\n",
            );
        } else {
            text.push_str(
                "None: every request is a one-shot run (the `durable-none` adapter). For runs that \
                 resume, deploy with `--durable http --core-url URL`, against `runtara serve`.\n",
            );
        }
        text.push_str("\n## Outbound hosts\n\n");
        if self.allowed_outbound_hosts.is_empty() {
            text.push_str("The component may reach no host (`allowed_outbound_hosts = []`).\n");
        } else {
            text.push_str("`allowed_outbound_hosts` lets the component reach:\n\n");
            for host in &self.allowed_outbound_hosts {
                let _ = writeln!(text, "- `{host}`");
            }
        }
        if !unknown.is_empty() {
            text.push_str(
                "\nThese http steps build their URL at run time, so their hosts could not be listed. \
                 Add each one they reach to `allowed_outbound_hosts`, or deploy again with \
                 `--allow-host URL`:\n\n",
            );
            for step in unknown {
                let _ = writeln!(text, "- step `{}`: {}", step.step, step.url);
            }
        }
        text
    }
}

/// `value` quoted for a POSIX shell when it needs to be.
fn shell_word(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_readme_tells_how_to_call_and_what_to_add() {
        let app = SpinApp {
            name: "quote".into(),
            description: None,
            component_id: "quote".into(),
            source: "quote.wasm".into(),
            route: "/quote/...".into(),
            allowed_outbound_hosts: vec!["http://127.0.0.1:7420".into()],
            environment: BTreeMap::from([
                ("RUNTARA_HTTP_URL".into(), "http://127.0.0.1:7420".into()),
                ("RUNTARA_TOKEN".into(), "it's secret".into()),
            ]),
        };
        let readme = app.readme(&[UnknownHost {
            step: "rate".into(),
            url: "template \"{{ data.api }}/rates\"".into(),
        }]);
        assert!(readme.contains("http://127.0.0.1:3000/quote/"), "{readme}");
        assert!(
            readme.contains(
                "--env RUNTARA_HTTP_URL=http://127.0.0.1:7420 --env RUNTARA_TOKEN='it'\\''s secret' quote.wasm"
            ),
            "{readme}"
        );
        assert!(readme.contains("keep it out of version control"));
        assert!(readme.contains("- step `rate`: template"));
    }
}
