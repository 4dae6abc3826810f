//! A run's scope, in layers: a Split's or While's iteration (and a WaitForSignal's
//! `onWait`) sees its parent's scope through a layer of its own instead of a copy.
//!
//! A layer holds what the child run binds and writes: top-level members that hide
//! the parent's whole (`data`, `workflow`, `item`, `loop`), its own step entries and
//! variables (one by one over the parent's), and which inherited variable it drops
//! (`_previousOutputs`). Lookups fall through to the parent; the parent is only read,
//! so iterations share it, in parallel too. Starting an iteration costs what it binds,
//! not what the parent holds, which keeps a Split over N elements linear in N.
//!
//! Whole `steps` or `variables` objects (a reference to `variables`, a template
//! reading `steps` whole) are put together from the layers in the order a copy of
//! the parent with the layer's writes applied would have.

use crate::prelude::*;
use alloc::borrow::Cow;

use serde_json::{Map, Value, json};

use runtara_dsl::mapping::{self, member_of};
use runtara_dsl::path::{self, Path, Segment};

const STEPS: &str = "steps";
const VARIABLES: &str = "variables";

#[derive(Default)]
pub(crate) struct Scope<'p> {
    /// Top-level members set here, hiding the parent's: `data`, `workflow`, `item`, `loop`.
    roots: Map<String, Value>,
    /// Step entries written here, whole (a parent's entry is copied in when first written).
    steps: Map<String, Value>,
    /// Variables set here, over the parent's.
    variables: Map<String, Value>,
    /// An inherited variable this layer drops, after its first `n` own variables were set.
    dropped: Option<(usize, &'static str)>,
    parent: Option<&'p Scope<'p>>,
}

impl<'p> Scope<'p> {
    /// A workflow's scope: `data` and `workflow.inputs` hold the input, `variables` the
    /// given variables, `steps` is empty.
    pub(crate) fn workflow(input: Value, variables: Map<String, Value>) -> Self {
        let mut roots = Map::new();
        roots.insert("data".into(), input.clone());
        roots.insert("workflow".into(), json!({ "inputs": input }));
        Scope {
            roots,
            variables,
            ..Scope::default()
        }
    }

    /// An empty layer over `parent`.
    pub(crate) fn over(parent: &'p Scope<'p>) -> Self {
        Scope {
            parent: Some(parent),
            ..Scope::default()
        }
    }

    /// Sets the top-level member `name` (`item`, `loop`, `data`); returns what this
    /// layer had there.
    pub(crate) fn bind(&mut self, name: &str, value: Value) -> Option<Value> {
        self.roots.insert(name.into(), value)
    }

    /// Undoes [`Scope::bind`]: puts back what the layer had, or lets the parent's show.
    pub(crate) fn unbind(&mut self, name: &str, previous: Option<Value>) {
        match previous {
            Some(previous) => self.roots.insert(name.into(), previous),
            None => self.roots.remove(name),
        };
    }

    /// This layer's top-level member `name`, to write to: a copy of the parent's, or null.
    pub(crate) fn root_mut(&mut self, name: &str) -> &mut Value {
        if !self.roots.contains_key(name) {
            let inherited = self.parent.and_then(|parent| parent.root(name)).cloned();
            self.roots
                .insert(name.into(), inherited.unwrap_or_default());
        }
        self.roots
            .get_mut(name)
            .expect("the member was just put in")
    }

    /// The top-level member `name`, from this layer or the nearest one that has it.
    pub(crate) fn root(&self, name: &str) -> Option<&Value> {
        match self.roots.get(name) {
            Some(value) => Some(value),
            None => self.parent?.root(name),
        }
    }

    /// Sets variable `name`.
    pub(crate) fn set_variable(&mut self, name: &str, value: Value) {
        self.variables.insert(name.into(), value);
    }

    /// Drops the inherited variable `name` from this layer's view; variables set
    /// afterwards are seen again.
    pub(crate) fn drop_variable(&mut self, name: &'static str) {
        self.dropped = Some((self.variables.len(), name));
    }

    /// Variable `name`, as this layer sees it.
    pub(crate) fn variable(&self, name: &str) -> Option<&Value> {
        if let Some(value) = self.variables.get(name) {
            return Some(value);
        }
        match self.dropped {
            Some((_, dropped)) if dropped == name => None,
            _ => self.parent?.variable(name),
        }
    }

    /// The entry of step `step_id` (`{ outputs, error }`), as this layer sees it.
    pub(crate) fn step(&self, step_id: &str) -> Option<&Value> {
        match self.steps.get(step_id) {
            Some(entry) => Some(entry),
            None => self.parent?.step(step_id),
        }
    }

    /// This layer's entry of step `step_id`, to write to: a copy of the entry an
    /// enclosing graph's step of that id left, or an empty one.
    pub(crate) fn step_mut(&mut self, step_id: &str) -> &mut Map<String, Value> {
        if !self.steps.contains_key(step_id) {
            let inherited = self.parent.and_then(|parent| parent.step(step_id));
            let entry = match inherited {
                Some(Value::Object(entry)) => entry.clone(),
                _ => Map::new(),
            };
            self.steps.insert(step_id.into(), Value::Object(entry));
        }
        let entry = self
            .steps
            .get_mut(step_id)
            .expect("the entry was just put in");
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("just made an object")
    }

    /// This layer's own entry of step `step_id` (none when only a parent has one).
    pub(crate) fn own_step_mut(&mut self, step_id: &str) -> Option<&mut Value> {
        self.steps.get_mut(step_id)
    }

    /// Puts back a step entry recorded in a checkpoint (in its place, if it has one).
    pub(crate) fn restore_step(&mut self, step_id: &str, entry: Value) {
        self.steps.insert(step_id.into(), entry);
    }

    /// Drops this layer's entry of step `step_id` (the others keep their order).
    pub(crate) fn release_step(&mut self, step_id: &str) {
        self.steps.shift_remove(step_id);
    }

    /// Every step entry this layer sees, in the order of a copied scope.
    fn all_steps(&self) -> Map<String, Value> {
        let mut steps = self.parent.map(Scope::all_steps).unwrap_or_default();
        for (id, entry) in &self.steps {
            steps.insert(id.clone(), entry.clone());
        }
        steps
    }

    /// Every variable this layer sees, in the order of a copied scope.
    fn all_variables(&self) -> Map<String, Value> {
        let mut variables = self.parent.map(Scope::all_variables).unwrap_or_default();
        let dropped_after = self.dropped.map_or(usize::MAX, |(after, _)| after);
        for (index, (name, value)) in self.variables.iter().enumerate() {
            if index == dropped_after {
                self.drop_from(&mut variables);
            }
            variables.insert(name.clone(), value.clone());
        }
        if dropped_after >= self.variables.len() {
            self.drop_from(&mut variables);
        }
        variables
    }

    /// Removes the dropped variable the way a copied scope removed it.
    fn drop_from(&self, variables: &mut Map<String, Value>) {
        if let Some((_, name)) = self.dropped {
            variables.remove(name);
        }
    }

    /// The top-level member `name`: `steps` and `variables` put together from the layers.
    fn whole_root(&self, name: &str) -> Option<Cow<'_, Value>> {
        match name {
            STEPS => Some(Cow::Owned(Value::Object(self.all_steps()))),
            VARIABLES => Some(Cow::Owned(Value::Object(self.all_variables()))),
            _ => self.root(name).map(Cow::Borrowed),
        }
    }

    /// The value at `path`'s first one or two segments, and the segments left:
    /// `steps.<id>` and `variables.<name>` are found member by member, through the
    /// layers; other members whole.
    fn start<'s>(&self, segments: &'s [Segment]) -> Option<(Cow<'_, Value>, &'s [Segment])> {
        let (first, rest) = segments.split_first()?;
        let root = key(first);
        match (root.as_ref(), rest.split_first()) {
            (STEPS, Some((member, rest))) => Some((Cow::Borrowed(self.step(&key(member))?), rest)),
            (VARIABLES, Some((member, rest))) => {
                Some((Cow::Borrowed(self.variable(&key(member))?), rest))
            }
            (name, _) => Some((self.whole_root(name)?, rest)),
        }
    }
}

impl mapping::Scope for Scope<'_> {
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>> {
        let (start, rest) = self.start(path.segments())?;
        let Some(rest) = Path::from_segments(rest.to_vec()) else {
            return Some(start);
        };
        match start {
            Cow::Borrowed(start) => path::lookup(&rest, start).map(Cow::Borrowed),
            Cow::Owned(start) => path::lookup(&rest, &start).cloned().map(Cow::Owned),
        }
    }

    fn member(&self, path: &Path) -> Option<Cow<'_, Value>> {
        // Steps and variables are objects, so their members are object members.
        let (start, rest) = self.start(path.segments())?;
        if rest.is_empty() {
            return Some(start);
        }
        match start {
            Cow::Borrowed(start) => member_of(start, rest).map(Cow::Borrowed),
            Cow::Owned(start) => member_of(&start, rest).cloned().map(Cow::Owned),
        }
    }

    fn whole(&self) -> Cow<'_, Value> {
        let mut whole = match self.parent {
            Some(parent) => match parent.whole().into_owned() {
                Value::Object(members) => members,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        for (name, value) in &self.roots {
            whole.insert(name.clone(), value.clone());
        }
        whole.insert(STEPS.into(), Value::Object(self.all_steps()));
        whole.insert(VARIABLES.into(), Value::Object(self.all_variables()));
        Cow::Owned(Value::Object(whole))
    }
}

/// A segment as an object member name: an index `[n]` on an object is the member "n".
fn key(segment: &Segment) -> Cow<'_, str> {
    match segment {
        Segment::Key(key) => Cow::Borrowed(key),
        Segment::Index(index) => Cow::Owned(index.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtara_dsl::mapping::Scope as _;

    fn at<'s>(scope: &'s Scope<'_>, text: &str) -> Option<Cow<'s, Value>> {
        scope.lookup(&path::parse(text).unwrap())
    }

    fn workflow() -> Scope<'static> {
        let variables = json!({"a": 1, "_previousOutputs": "from an enclosing While", "z": 2});
        let mut scope = Scope::workflow(
            json!({"items": [1, 2]}),
            variables.as_object().unwrap().clone(),
        );
        scope
            .step_mut("fetch")
            .insert("outputs".into(), json!({"n": 1}));
        scope
            .step_mut("fetch")
            .insert("error".into(), json!("earlier"));
        scope
    }

    /// An iteration's layers read as a copy of the parent with the iteration's writes
    /// applied in the same order, down to the order of the variables.
    #[test]
    fn layers_read_as_a_copy_with_the_writes_applied() {
        let parent = workflow();
        let mut step = Scope::over(&parent);
        step.set_variable("b", json!("config"));
        let mut iteration = Scope::over(&step);
        iteration.set_variable("_index", json!(0));
        iteration.set_variable("_loop_indices", json!([0]));
        iteration.drop_variable("_previousOutputs");
        iteration.set_variable("_item", json!(1));
        iteration.bind("item", json!(1));
        iteration.bind("data", json!(1));
        iteration
            .step_mut("fetch")
            .insert("outputs".into(), json!({"n": 2}));
        iteration
            .step_mut("own")
            .insert("outputs".into(), json!(true));

        // What the runtime did before layers: copy, then write.
        let mut copy = parent.whole().into_owned();
        let variables = copy["variables"].as_object_mut().unwrap();
        variables.insert("b".into(), json!("config"));
        variables.insert("_index".into(), json!(0));
        variables.insert("_loop_indices".into(), json!([0]));
        variables.remove("_previousOutputs");
        variables.insert("_item".into(), json!(1));
        copy["item"] = json!(1);
        copy["data"] = json!(1);
        copy["steps"]["fetch"]["outputs"] = json!({"n": 2});
        copy["steps"]["own"] = json!({"outputs": true});

        for text in [
            "variables",
            "steps",
            "data",
            "workflow",
            "item",
            "steps.fetch",
        ] {
            let seen = at(&iteration, text).map(|v| v.to_string());
            let copied = path::get(&copy, text).unwrap().map(Value::to_string);
            assert_eq!(seen, copied, "{text}");
        }
        assert_eq!(at(&iteration, "variables._previousOutputs"), None);
        assert_eq!(at(&iteration, "variables.a").as_deref(), Some(&json!(1)));
        assert_eq!(
            at(&iteration, "steps.fetch.error").as_deref(),
            Some(&json!("earlier"))
        );
        assert_eq!(
            at(&iteration, "workflow.inputs.items[1]").as_deref(),
            Some(&json!(2))
        );
        assert_eq!(iteration.whole().to_string(), copy.to_string());
        // The parent is only read.
        assert_eq!(
            at(&parent, "steps.fetch.outputs.n").as_deref(),
            Some(&json!(1))
        );
        assert_eq!(at(&parent, "steps.own"), None);
        assert_eq!(at(&parent, "item"), None);
    }

    #[test]
    fn a_binding_undone_lets_the_parent_show_again() {
        let parent = workflow();
        let mut layer = Scope::over(&parent);
        let previous = layer.bind("data", json!("mine"));
        assert_eq!(at(&layer, "data").as_deref(), Some(&json!("mine")));
        layer.unbind("data", previous);
        assert_eq!(at(&layer, "data.items[0]").as_deref(), Some(&json!(1)));
    }

    #[test]
    fn members_go_through_objects_only() {
        let parent = workflow();
        let layer = Scope::over(&parent);
        let member = |text: &str| layer.member(&path::parse(text).unwrap());
        assert_eq!(member("steps.fetch.outputs.n").as_deref(), Some(&json!(1)));
        assert_eq!(member("data.items.0"), None);
        assert_eq!(member("data.items").as_deref(), Some(&json!([1, 2])));
    }
}
