//! Which step entries a graph's run can drop, and after which step.
//!
//! A step's entry (`{ outputs, error }`) stays in the run's scope while a later step
//! may read it. A large output (the rows of a parsed CSV, say) held to the end of the
//! run is memory the run no longer needs once its last reader is done, and the
//! step's checkpoint keeps it for history and for a resume.
//!
//! For each step X of a graph, the references to X are counted in the whole scenario
//! document: mappings, conditions, edge conditions and subgraphs. When all of them
//! lie in one step R of X's graph (R's definition, its subgraphs included, and the
//! conditions of the edges leaving R), X's entry is dropped once R is done; when there
//! are none, once X is. A step runs at most once per run of its graph (a Split or While
//! iteration runs its body afresh), so R never reads X again. Counting by id is safe
//! when a subgraph reuses an id: such references count too, and only make fewer drops.
//!
//! A template may read any step under a name it builds while rendering, and a
//! reference to `steps` reads them all, so a document with either drops nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use runtara_dsl::mapping::is_plain_text;
use runtara_dsl::path;
use runtara_dsl::{ExecutionGraph, Step};

/// How a part of a scenario document reads step entries.
#[derive(Debug, Default)]
pub(super) struct Reads {
    /// Step id -> how many references name it.
    counts: BTreeMap<String, usize>,
    /// A template, or a reference to `steps` as a whole, may read any step.
    any: bool,
}

impl Reads {
    /// The reads of `value` and everything in it.
    pub(super) fn of(value: &Value) -> Self {
        let mut reads = Self::default();
        reads.add(value);
        reads
    }

    fn add(&mut self, value: &Value) {
        match value {
            Value::Object(members) => {
                match members.get("valueType").and_then(Value::as_str) {
                    Some("reference") => {
                        let text = members.get("value").and_then(Value::as_str).unwrap_or("");
                        self.reference(text);
                    }
                    Some("template") => self.any = true,
                    _ => {}
                }
                for member in members.values() {
                    self.add(member);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.add(item)),
            // A Log or Error message is a template unless it is plain text.
            Value::String(text) if !is_plain_text(text) => self.any = true,
            _ => {}
        }
    }

    fn reference(&mut self, text: &str) {
        let Ok(parsed) = path::parse(text) else {
            // `runtara check` refuses it; nothing is assumed about what it reads.
            self.any = true;
            return;
        };
        match (parsed.step_id(), parsed.segments().first()) {
            (Some(id), _) => *self.counts.entry(id.to_owned()).or_default() += 1,
            (None, Some(path::Segment::Key(root))) if root == "steps" => self.any = true,
            (None, _) => {}
        }
    }

    fn count(&self, step_id: &str) -> usize {
        self.counts.get(step_id).copied().unwrap_or(0)
    }
}

/// For `graph` (as parsed, and as written in `raw_graph`) in a document that reads
/// `document`: (after, step id) pairs, in step order, each saying that the entry of
/// `step id` is dropped once the step at index `after` is done.
pub(super) fn releases(
    graph: &ExecutionGraph,
    raw_graph: &Value,
    document: &Reads,
) -> Vec<(usize, String)> {
    if document.any {
        return Vec::new();
    }
    let raw_plan = raw_graph
        .get("executionPlan")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // What each step reads, with the conditions of the edges that leave it.
    let by_step: Vec<Reads> = graph
        .steps
        .keys()
        .map(|id| {
            let mut reads = Reads::default();
            if let Some(raw_step) = raw_graph.get("steps").and_then(|steps| steps.get(id)) {
                reads.add(raw_step);
            }
            for edge in raw_plan
                .iter()
                .filter(|edge| edge.get("fromStep").and_then(Value::as_str) == Some(id))
            {
                if let Some(condition) = edge.get("condition") {
                    reads.add(condition);
                }
            }
            reads
        })
        .collect();
    // A Finish step ends its graph: nothing is dropped after it.
    let finishes: Vec<bool> = graph
        .steps
        .values()
        .map(|step| matches!(step, Step::Finish(_)))
        .collect();
    let mut releases = Vec::new();
    for (index, id) in graph.steps.keys().enumerate() {
        let total = document.count(id);
        let after = if total == 0 {
            Some(index)
        } else {
            by_step.iter().position(|reads| reads.count(id) == total)
        };
        if let Some(after) = after.filter(|&after| !finishes[after]) {
            releases.push((after, id.clone()));
        }
    }
    releases.sort();
    releases
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The releases of a scenario's top graph, by step id: (after, released).
    fn releases_of(document: Value) -> Vec<(String, String)> {
        let graph: ExecutionGraph =
            serde_json::from_value(document.clone()).expect("a valid graph");
        let graph = &graph;
        let ids: Vec<&String> = graph.steps.keys().collect();
        releases(graph, &document, &Reads::of(&document))
            .into_iter()
            .map(|(after, id)| (ids[after].clone(), id))
            .collect()
    }

    fn reference(path: &str) -> Value {
        json!({ "valueType": "reference", "value": path })
    }

    fn agent(id: &str, input: Value) -> Value {
        json!({ "stepType": "Agent", "id": id, "agentId": "transform",
                "capabilityId": "sort", "inputMapping": { "value": input } })
    }

    fn finish(id: &str, input: Value) -> Value {
        json!({ "stepType": "Finish", "id": id, "inputMapping": { "out": input } })
    }

    fn chain(steps: Value, edges: &[(&str, &str)]) -> Value {
        let plan: Vec<Value> = edges
            .iter()
            .map(|(from, to)| json!({ "fromStep": from, "toStep": to }))
            .collect();
        json!({ "name": "t", "entryPoint": edges[0].0, "steps": steps, "executionPlan": plan })
    }

    #[test]
    fn an_output_read_by_one_step_is_dropped_after_it_and_an_unread_one_at_once() {
        let document = chain(
            json!({
                "parse": agent("parse", reference("data.csv")),
                "sort": agent("sort", reference("steps.parse.outputs")),
                "count": agent("count", reference("steps.sort.outputs")),
                "note": agent("note", reference("steps.count.outputs")),
                "done": finish("done", reference("steps.count.outputs")),
            }),
            &[
                ("parse", "sort"),
                ("sort", "count"),
                ("count", "note"),
                ("note", "done"),
            ],
        );
        assert_eq!(
            releases_of(document),
            [
                ("sort".into(), "parse".into()),
                ("count".into(), "sort".into()),
                ("note".into(), "note".into()),
            ],
            "count has two readers and stays; note is read by nobody"
        );
    }

    #[test]
    fn an_edge_condition_reads_for_the_step_it_leaves() {
        let mut document = chain(
            json!({
                "a": agent("a", reference("data.x")),
                "b": agent("b", reference("data.x")),
                "c": agent("c", reference("steps.a.outputs")),
            }),
            &[("a", "b"), ("b", "c")],
        );
        document["executionPlan"][1]["condition"] = json!({
            "type": "operation", "op": "EQ",
            "arguments": [reference("steps.a.outputs"), { "valueType": "immediate", "value": 1 }]
        });
        let releases = releases_of(document);
        assert!(
            !releases.iter().any(|(_, id)| id == "a"),
            "a is read by b's edge and by c: {releases:?}"
        );
    }

    #[test]
    fn a_read_inside_a_subgraph_counts_for_the_step_that_holds_it() {
        let document = chain(
            json!({
                "rows": agent("rows", reference("data.rows")),
                "each": {
                    "stepType": "Split", "id": "each",
                    "config": { "value": reference("data.rows") },
                    "subgraph": {
                        "entryPoint": "use",
                        "steps": { "use": agent("use", reference("steps.rows.outputs")) },
                        "executionPlan": [],
                    },
                },
                "done": finish("done", reference("steps.each.outputs")),
            }),
            &[("rows", "each"), ("each", "done")],
        );
        assert_eq!(
            releases_of(document),
            [("each".into(), "rows".into())],
            "rows is read only inside each's subgraph"
        );
    }

    #[test]
    fn a_template_or_a_read_of_all_steps_drops_nothing() {
        let steps = |input: Value| {
            json!({
                "a": agent("a", reference("data.x")),
                "b": agent("b", input),
                "done": finish("done", reference("steps.b.outputs")),
            })
        };
        for input in [
            json!({ "valueType": "template", "value": "{{ steps.a.outputs }}" }),
            reference("steps"),
        ] {
            let document = chain(steps(input.clone()), &[("a", "b"), ("b", "done")]);
            assert_eq!(releases_of(document), [], "{input}");
        }
    }
}
