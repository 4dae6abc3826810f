//! Paths on the server, as inputs give them: used as given (the server resolves relative
//! ones against the login's home directory), named as given in outputs and errors.

pub use runtara_agent::input::check_path as check;

/// Whether `path` names something below a directory: not `/`, `.` or `./` alone.
pub fn has_name(path: &str) -> bool {
    path.split('/').any(|part| !part.is_empty() && part != ".")
}

/// `dir` joined with `name` below it: `dir/name` (`/name` when `dir` is `/`).
pub fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// The directories leading to `path`, outermost first, without `path` itself:
/// `/a/b/c.txt` -> `/a`, `/a/b`; `a/b/c.txt` -> `a`, `a/b`.
pub fn ancestors(path: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut end = 0;
    while let Some(offset) = path[end..].find('/') {
        let at = end + offset;
        if !path[..at].trim_end_matches('/').is_empty() && at > end {
            found.push(path[..at].to_owned());
        }
        end = at + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{ancestors, has_name, join};

    #[test]
    fn names_joins_and_ancestors() {
        assert!(!has_name("/"));
        assert!(!has_name("./"));
        assert!(!has_name("."));
        assert!(has_name("/tmp"));
        assert!(has_name("a"));
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/x/", "a"), "/x/a");
        assert_eq!(join("x", "a"), "x/a");
        assert_eq!(ancestors("/a/b/c.txt"), ["/a", "/a/b"]);
        assert_eq!(ancestors("a/b/c.txt"), ["a", "a/b"]);
        assert_eq!(ancestors("a//b/c"), ["a", "a//b"]);
        assert_eq!(ancestors("c.txt"), Vec::<String>::new());
        assert_eq!(ancestors("/c.txt"), Vec::<String>::new());
    }
}
