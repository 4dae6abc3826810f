//! Repository names, tags and references, as the OCI distribution spec allows them.
//! Nothing else reaches a path on disk or a URL.

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;

/// A repository name: lowercase path components such as `runtara/http`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

/// A tag: `1.2.0`, `latest`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

/// What a manifest is asked for by: a tag, or its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tag(Tag),
    Digest(Digest),
}

/// A component in a registry: `runtara/http:1.2.0` or `runtara/http@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: Name,
    pub target: Target,
}

/// Why a name, tag or reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadReference {
    #[error(
        "`{0}` is not a repository name: lowercase letters and digits in components separated by `/`, with single `.`, `_`, `__` or dashes inside a component"
    )]
    Name(String),
    #[error(
        "`{0}` is not a tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
    )]
    Tag(String),
    #[error("`{0}` names no version: write NAME:VERSION (runtara/http:1.2.0) or NAME@DIGEST")]
    NoTarget(String),
    #[error(transparent)]
    Digest(#[from] crate::digest::BadDigest),
}

/// Longest repository name accepted, as the reference registry does.
const MAX_NAME_LENGTH: usize = 255;

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Name {
    type Err = BadReference;

    fn from_str(text: &str) -> Result<Self, BadReference> {
        let valid = !text.is_empty()
            && text.len() <= MAX_NAME_LENGTH
            && text.split('/').all(valid_name_component);
        valid
            .then(|| Self(text.to_owned()))
            .ok_or_else(|| BadReference::Name(text.to_owned()))
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_name_component(component: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes: Vec<char> = component.chars().collect();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alphanumeric(*first) || !alphanumeric(*last) {
        return false;
    }
    // Every run of separators between alphanumerics is `.`, `_`, `__` or dashes only.
    component
        .split(alphanumeric)
        .filter(|run| !run.is_empty())
        .all(|run| matches!(run, "." | "_" | "__") || run.chars().all(|c| c == '-'))
}

impl Tag {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = BadReference;

    /// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
    fn from_str(text: &str) -> Result<Self, BadReference> {
        let mut chars = text.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && text.len() <= 128
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        valid
            .then(|| Self(text.to_owned()))
            .ok_or_else(|| BadReference::Tag(text.to_owned()))
    }
}

impl FromStr for Target {
    type Err = BadReference;

    /// A digest when it looks like one (`algorithm:hex`), else a tag.
    fn from_str(text: &str) -> Result<Self, BadReference> {
        if text.contains(':') {
            Ok(Self::Digest(text.parse()?))
        } else {
            Ok(Self::Tag(text.parse()?))
        }
    }
}

impl FromStr for Reference {
    type Err = BadReference;

    fn from_str(text: &str) -> Result<Self, BadReference> {
        if let Some((name, digest)) = text.split_once('@') {
            return Ok(Self {
                name: name.parse()?,
                target: Target::Digest(digest.parse()?),
            });
        }
        match text.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => Ok(Self {
                name: name.parse()?,
                target: Target::Tag(tag.parse()?),
            }),
            _ => Err(BadReference::NoTarget(text.to_owned())),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => tag.fmt(f),
            Self::Digest(digest) => digest.fmt(f),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Tag(tag) => write!(f, "{}:{tag}", self.name),
            Target::Digest(digest) => write!(f, "{}@{digest}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_distribution_spec() {
        for good in ["runtara/http", "a", "my-org/my__agent/v1.2", "x_y/z--w"] {
            assert!(good.parse::<Name>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "../etc",
            "runtara/../http",
            "Runtara/http",
            "/http",
            "http/",
            "a//b",
            "a.",
            "-a",
            "a___b",
            "a..b",
            "a/./b",
            "a b",
        ] {
            assert!(bad.parse::<Name>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags_and_references() {
        assert!("1.2.0".parse::<Tag>().is_ok());
        assert!(".hidden".parse::<Tag>().is_err());
        assert!("a/b".parse::<Tag>().is_err());
        let reference: Reference = "runtara/http:1.2.0".parse().unwrap();
        assert_eq!(reference.name.as_str(), "runtara/http");
        assert_eq!(reference.target, Target::Tag("1.2.0".parse().unwrap()));
        assert_eq!(reference.to_string(), "runtara/http:1.2.0");
        assert!(matches!(
            "runtara/http".parse::<Reference>(),
            Err(BadReference::NoTarget(_))
        ));
        let pinned = format!("runtara/http@{}", Digest::of(b"x"));
        assert_eq!(pinned.parse::<Reference>().unwrap().to_string(), pinned);
    }
}
