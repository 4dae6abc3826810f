//! XPath 1.0 over a document: the tree quick-xml read (see [`crate::tree`]) is copied
//! into sxd-document's DOM, so `xpath` reads documents exactly as `from-xml` does, and
//! queried with sxd-xpath.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sxd_document::{Package, QName, dom};
use sxd_xpath::{Context, Factory};

use crate::tree::{Document, Element, Node};

/// The namespace the `xml` prefix is always bound to.
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// The longest expression accepted, in characters, and the deepest nesting of brackets
/// and parentheses in it: the XPath parser and evaluator recurse, so a huge expression
/// could exhaust the stack.
pub const MAX_EXPRESSION_CHARS: usize = 2000;
pub const MAX_NESTING: usize = 32;

/// What went wrong evaluating an expression.
pub enum XPathError {
    /// The expression is longer or nests deeper than allowed.
    TooComplex(String),
    /// The expression uses a namespace prefix that is not bound.
    UnboundPrefix(String),
    /// The document uses a namespace prefix it does not declare (at byte `offset`).
    Namespace { offset: usize, message: String },
    /// The expression does not parse.
    Syntax(String),
    /// The expression is empty.
    Empty,
    /// The expression parses but cannot be evaluated (an unknown function...).
    Evaluation(String),
}

/// Evaluates `expression` with the document root as the context node.
///
/// Every `xmlns:prefix` declared in the document is bound, the first declaration of a
/// prefix winning; `namespaces` adds bindings and overrides those. The result is a
/// list: the string value of every node selected, in document order, or the one
/// number, string or boolean.
pub fn evaluate(
    document: &Document,
    expression: &str,
    namespaces: &BTreeMap<String, String>,
) -> Result<Vec<Value>, XPathError> {
    let prefixes = prefixes(expression)?;
    let package = Package::new();
    build(package.as_document(), document)?;
    let xpath = Factory::new()
        .build(expression)
        .map_err(|e| XPathError::Syntax(e.to_string()))?
        .ok_or(XPathError::Empty)?;

    let mut context = Context::new();
    let mut bindings = BTreeMap::new();
    bindings.insert("xml".to_owned(), XML_NAMESPACE.to_owned());
    declared_namespaces(&document.root, &mut bindings);
    bindings.extend(namespaces.iter().map(|(p, u)| (p.clone(), u.clone())));
    // sxd-xpath panics on a name test with an unbound prefix, so check them first.
    if let Some(prefix) = prefixes.iter().find(|p| !bindings.contains_key(*p)) {
        return Err(XPathError::UnboundPrefix(prefix.clone()));
    }
    for (prefix, uri) in &bindings {
        context.set_namespace(prefix, uri);
    }

    let value = xpath
        .evaluate(&context, package.as_document().root())
        .map_err(|e| XPathError::Evaluation(e.to_string()))?;
    Ok(match value {
        sxd_xpath::Value::Nodeset(nodes) => nodes
            .document_order()
            .iter()
            .map(|node| Value::String(node.string_value()))
            .collect(),
        sxd_xpath::Value::Boolean(b) => vec![Value::Bool(b)],
        sxd_xpath::Value::Number(n) => vec![number(n)],
        sxd_xpath::Value::String(s) => vec![Value::String(s)],
    })
}

/// Copies the parsed document into sxd-document's DOM, resolving namespace prefixes.
fn build(target: dom::Document, document: &Document) -> Result<(), XPathError> {
    let root = target.root();
    for node in &document.prolog {
        if let Some(child) = misc(target, node) {
            root.append_child(child);
        }
    }
    let mut scope = Vec::new();
    root.append_child(element(target, &document.root, &mut scope)?);
    for node in &document.epilog {
        if let Some(child) = misc(target, node) {
            root.append_child(child);
        }
    }
    Ok(())
}

/// A comment or processing instruction outside the root element.
fn misc<'d>(target: dom::Document<'d>, node: &Node) -> Option<dom::ChildOfRoot<'d>> {
    match node {
        Node::Comment(text) => Some(target.create_comment(text).into()),
        Node::Instruction {
            target: name,
            content,
        } => Some(
            target
                .create_processing_instruction(
                    name,
                    Some(content).filter(|c| !c.is_empty()).map(String::as_str),
                )
                .into(),
        ),
        Node::Element(_) | Node::Text(_) => None,
    }
}

/// The namespace declarations in scope, innermost last: (prefix, URI), the default
/// namespace having the prefix "".
type Scope = Vec<(String, String)>;

/// Copies an element and its content; `scope` holds the declarations of its ancestors.
fn element<'d>(
    target: dom::Document<'d>,
    source: &Element,
    scope: &mut Scope,
) -> Result<dom::Element<'d>, XPathError> {
    let outer = scope.len();
    for (name, value) in &source.attributes {
        if name == "xmlns" {
            scope.push((String::new(), value.clone()));
        } else if let Some(prefix) = name.strip_prefix("xmlns:") {
            scope.push((prefix.to_owned(), value.clone()));
        }
    }
    let (prefix, local) = split_name(&source.name);
    let uri = namespace_of(scope, prefix.unwrap_or(""), source)?;
    let copy = target.create_element(QName::with_namespace_uri(uri.as_deref(), local));
    copy.set_preferred_prefix(prefix);
    for (declared, uri) in &scope[outer..] {
        if declared.is_empty() {
            copy.set_default_namespace_uri(Some(uri.as_str()).filter(|u| !u.is_empty()));
        } else {
            copy.register_prefix(declared, uri);
        }
    }
    for (name, value) in &source.attributes {
        if name == "xmlns" || name.starts_with("xmlns:") {
            continue;
        }
        let (prefix, local) = split_name(name);
        // Unprefixed attributes are in no namespace, whatever the default is.
        let uri = match prefix {
            Some(prefix) => namespace_of(scope, prefix, source)?,
            None => None,
        };
        let attribute =
            copy.set_attribute_value(QName::with_namespace_uri(uri.as_deref(), local), value);
        attribute.set_preferred_prefix(prefix);
    }
    for node in &source.children {
        match node {
            Node::Element(child) => copy.append_child(element(target, child, scope)?),
            Node::Text(text) => copy.append_child(target.create_text(text)),
            Node::Comment(text) => copy.append_child(target.create_comment(text)),
            Node::Instruction {
                target: name,
                content,
            } => copy.append_child(target.create_processing_instruction(
                name,
                Some(content).filter(|c| !c.is_empty()).map(String::as_str),
            )),
        }
    }
    scope.truncate(outer);
    Ok(copy)
}

/// `p:name` -> (Some("p"), "name"); `name` -> (None, "name").
fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.split_once(':') {
        Some((prefix, local)) => (Some(prefix), local),
        None => (None, name),
    }
}

/// The namespace URI `prefix` stands for in `scope` ("" is the default namespace, which
/// may be undeclared); an undeclared prefix is an error.
fn namespace_of(
    scope: &Scope,
    prefix: &str,
    element: &Element,
) -> Result<Option<String>, XPathError> {
    if prefix == "xml" {
        return Ok(Some(XML_NAMESPACE.to_owned()));
    }
    match scope.iter().rev().find(|(declared, _)| declared == prefix) {
        Some((_, uri)) if uri.is_empty() => Ok(None),
        Some((_, uri)) => Ok(Some(uri.clone())),
        None if prefix.is_empty() => Ok(None),
        None => Err(XPathError::Namespace {
            offset: element.offset,
            message: format!(
                "the namespace prefix '{prefix}' (in <{}>) is not declared",
                element.name
            ),
        }),
    }
}

/// The `xmlns:prefix="uri"` declarations anywhere in the document; the first of a prefix wins.
fn declared_namespaces(element: &Element, bindings: &mut BTreeMap<String, String>) {
    for (name, uri) in &element.attributes {
        if let Some(prefix) = name.strip_prefix("xmlns:") {
            bindings
                .entry(prefix.to_owned())
                .or_insert_with(|| uri.clone());
        }
    }
    for node in &element.children {
        if let Node::Element(child) = node {
            declared_namespaces(child, bindings);
        }
    }
}

/// An XPath number as JSON: an integer when it is one, NaN and the infinities as the
/// strings XPath's `string()` gives them.
fn number(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.is_nan() {
        json!("NaN")
    } else if n.is_infinite() {
        json!(if n > 0.0 { "Infinity" } else { "-Infinity" })
    } else if n.fract() == 0.0 && n.abs() <= EXACT {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// The namespace prefixes an expression uses (of `soap:Body`, `@p:id`, `p:*` outside
/// string literals); an expression that is too long or nests too deep is refused. Names are read greedily as XPath's tokenizer does: a name
/// followed directly by a single `:` is a prefix (`::` separates an axis).
pub(crate) fn prefixes(expression: &str) -> Result<BTreeSet<String>, XPathError> {
    let length = expression.chars().count();
    if length > MAX_EXPRESSION_CHARS {
        return Err(XPathError::TooComplex(format!(
            "it has {length} characters, at most {MAX_EXPRESSION_CHARS} are allowed"
        )));
    }
    let chars: Vec<char> = expression.chars().collect();
    let mut prefixes = BTreeSet::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            // A string literal runs to the next matching quote.
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            i += 1;
        } else if is_name_start(c) {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            if chars.get(i) == Some(&':') && chars.get(i + 1) != Some(&':') {
                prefixes.insert(chars[start..i].iter().collect());
                i += 1;
            } else if chars.get(i) == Some(&':') {
                i += 2;
            }
        } else {
            match c {
                '(' | '[' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(XPathError::TooComplex(format!(
                            "its brackets and parentheses nest deeper than {MAX_NESTING} levels"
                        )));
                    }
                }
                ')' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
    }
    Ok(prefixes)
}

/// A character that can start an XML name without a colon (NCName).
fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// A character that can continue an NCName.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}
