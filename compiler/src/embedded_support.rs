//! The support matrix of the embedded target: which agents and capabilities firmware
//! built by `runtara compile --target embedded` can run. The compiler checks every
//! Agent step against it at compile time (see [`crate::embedded_target`]), so a
//! scenario never meets a missing capability on the board.
//!
//! The agent crates build `no_std` + `alloc` for the embedded target (their `std`
//! feature off). An agent listed in [`UNAVAILABLE_AGENTS`] is not linked into firmware
//! at all. A capability listed in [`UNAVAILABLE_CAPABILITIES`] keeps its id in the
//! embedded build of its agent (so ids stay the same everywhere), but there it only
//! answers a permanent `UNAVAILABLE_ON_TARGET` error with the same reason; this table
//! is what lets the compiler refuse it beforehand. Everything else runs on the board
//! as it does natively and in components (the file agent keeps its files in the
//! board's flash file store, beside the checkpoints).
//!
//! The reasons are written for the person who wrote the scenario; they follow
//! "... is not available on embedded targets: ".

/// Agents that cannot be used at all on the embedded target, with why.
pub const UNAVAILABLE_AGENTS: &[(&str, &str)] = &[
    ("http", "the reference board has no network stack"),
    ("sftp", "it needs a network stack and an SSH client"),
];

/// The reference board (QEMU mps2-an386) has no entropy source.
const NO_ENTROPY: &str = "the reference board has no entropy source";
/// The reference board has no real-time clock.
const NO_CLOCK: &str = "the reference board has no real-time clock";

/// Capabilities of available agents that cannot be used on the embedded target:
/// (agent, capability, why).
pub const UNAVAILABLE_CAPABILITIES: &[(&str, &str, &str)] = &[
    ("utils", "random-double", NO_ENTROPY),
    ("utils", "random-uuid", NO_ENTROPY),
    ("utils", "random-array", NO_ENTROPY),
    (
        "utils",
        "delay-in-ms",
        "a capability cannot block on the board's timer; use a Delay step instead",
    ),
    ("utils", "get-current-unix-timestamp", NO_CLOCK),
    ("utils", "get-current-iso-datetime", NO_CLOCK),
    ("utils", "get-current-formatted-datetime", NO_CLOCK),
    ("datetime", "get-current-date", NO_CLOCK),
    ("crypto", "random-bytes", NO_ENTROPY),
    (
        "text",
        "render-template",
        "templates use minijinja, which needs std",
    ),
    (
        "xml",
        "xpath",
        "XPath queries use sxd-xpath, which needs std",
    ),
];

/// Why `agent` cannot be used at all on the embedded target, or `None` when it can.
pub fn agent_unavailable(agent: &str) -> Option<&'static str> {
    UNAVAILABLE_AGENTS
        .iter()
        .find(|(name, _)| *name == agent)
        .map(|(_, why)| *why)
}

/// Why capability `capability` of `agent` is unavailable on the embedded target (the
/// agent itself is available), or `None`.
pub fn capability_unavailable(agent: &str, capability: &str) -> Option<&'static str> {
    UNAVAILABLE_CAPABILITIES
        .iter()
        .find(|(a, c, _)| *a == agent && *c == capability)
        .map(|(_, _, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The description documents of the agents the tables name.
    const DESCRIPTIONS: &[(&str, &str)] = &[
        (
            "utils",
            include_str!("../../components/utils/capabilities.json"),
        ),
        (
            "transform",
            include_str!("../../components/transform/capabilities.json"),
        ),
        (
            "text",
            include_str!("../../components/text/capabilities.json"),
        ),
        (
            "csv",
            include_str!("../../components/csv/capabilities.json"),
        ),
        (
            "xml",
            include_str!("../../components/xml/capabilities.json"),
        ),
        (
            "compression",
            include_str!("../../components/compression/capabilities.json"),
        ),
        (
            "datetime",
            include_str!("../../components/datetime/capabilities.json"),
        ),
        (
            "crypto",
            include_str!("../../components/crypto/capabilities.json"),
        ),
        (
            "http",
            include_str!("../../components/http/capabilities.json"),
        ),
        (
            "sftp",
            include_str!("../../components/sftp/capabilities.json"),
        ),
        (
            "file",
            include_str!("../../components/file/capabilities.json"),
        ),
    ];

    /// The capability ids `agent`'s `capabilities.json` lists.
    fn capability_ids(agent: &str) -> Vec<String> {
        let (_, text) = DESCRIPTIONS
            .iter()
            .find(|(name, _)| *name == agent)
            .unwrap_or_else(|| panic!("no capabilities.json is known for agent '{agent}'"));
        let description: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(description["agent"], agent);
        description["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn agents() {
        assert_eq!(
            agent_unavailable("http"),
            Some("the reference board has no network stack")
        );
        assert!(agent_unavailable("sftp").unwrap().contains("SSH"));
        for agent in [
            "file",
            "utils",
            "transform",
            "text",
            "csv",
            "xml",
            "compression",
            "datetime",
            "crypto",
        ] {
            assert_eq!(agent_unavailable(agent), None, "{agent}");
        }
        assert_eq!(agent_unavailable("no-such-agent"), None);
    }

    #[test]
    fn capabilities() {
        assert_eq!(
            capability_unavailable("text", "render-template"),
            Some("templates use minijinja, which needs std")
        );
        assert!(
            capability_unavailable("crypto", "random-bytes")
                .unwrap()
                .contains("entropy")
        );
        assert!(
            capability_unavailable("utils", "random-uuid")
                .unwrap()
                .contains("entropy")
        );
        assert!(
            capability_unavailable("datetime", "get-current-date")
                .unwrap()
                .contains("clock")
        );
        assert!(
            capability_unavailable("utils", "delay-in-ms")
                .unwrap()
                .contains("Delay step")
        );
        for (agent, capability) in [
            ("crypto", "hash"),
            ("crypto", "hmac"),
            ("text", "regex-match"),
            ("csv", "from-csv"),
            ("transform", "map-fields"),
            ("datetime", "format-date"),
            ("utils", "calculate"),
            ("xml", "from-xml"),
            ("compression", "create-archive"),
        ] {
            assert_eq!(
                capability_unavailable(agent, capability),
                None,
                "{agent}/{capability}"
            );
        }
        // A capability's name alone, or under another agent, is not in the table.
        assert_eq!(capability_unavailable("crypto", "render-template"), None);
    }

    /// The tables name only agents and capabilities that exist, once each, so they
    /// cannot drift from the agents' description documents.
    #[test]
    fn tables_match_the_capabilities_json_files() {
        for (agent, _) in UNAVAILABLE_AGENTS {
            assert!(!capability_ids(agent).is_empty(), "{agent}");
        }
        for (agent, capability, why) in UNAVAILABLE_CAPABILITIES {
            assert!(
                capability_ids(agent).iter().any(|id| id == capability),
                "{agent}/{capability} is in UNAVAILABLE_CAPABILITIES but not in components/{agent}/capabilities.json"
            );
            assert_eq!(
                agent_unavailable(agent),
                None,
                "{agent} is unavailable as a whole"
            );
            assert!(
                !why.is_empty() && !why.ends_with('.'),
                "{agent}/{capability}: {why}"
            );
            let entries = UNAVAILABLE_CAPABILITIES
                .iter()
                .filter(|(a, c, _)| a == agent && c == capability)
                .count();
            assert_eq!(entries, 1, "{agent}/{capability} is listed {entries} times");
        }
        for (agent, _) in DESCRIPTIONS {
            capability_ids(agent);
        }
    }
}
