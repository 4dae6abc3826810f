//! What each tenant's instances may use: host directories and HTTP hosts, from the
//! tenants file (`runtara serve --tenants FILE`). A tenant the file does not list
//! gets nothing: no directory, and every HTTP request is refused.
//!
//! ```toml
//! [tenants.acme]
//! dirs = ["/srv/acme/data::/data"]         # HOST::GUEST, as `runtara run --dir`
//! allow_hosts = ["api.acme.example:443"]   # host, host:port, [IPv6]:port or *
//!
//! [tenants.globex]
//! allow_hosts = ["api.globex.example"]
//! ```
//!
//! Every value is checked when the file is read: a host directory must exist and
//! be a directory (a relative one is taken from the file's own directory), and an
//! HTTP host must be a name or an address, with a port from 1 to 65535 if any.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The grants of every tenant the tenants file lists.
#[derive(Debug, Clone, Default)]
pub struct TenantGrants {
    tenants: BTreeMap<String, Grants>,
}

/// What one tenant's instances may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Host directories, as (host path, guest path).
    pub dirs: Vec<(PathBuf, String)>,
    /// HTTP hosts: `host`, `host:port`, `[IPv6]:port` or `*` (any host).
    pub allowed_hosts: Vec<String>,
}

/// Why the tenants file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GrantsError {
    #[error("cannot read the tenants file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the tenants file {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("the tenants file {path} names a tenant with an empty name")]
    EmptyTenant { path: PathBuf },
    #[error("the tenants file {path}, tenant '{tenant}': dirs value {value:?} {problem}")]
    Dir {
        path: PathBuf,
        tenant: String,
        value: String,
        problem: String,
    },
    #[error(
        "the tenants file {path}, tenant '{tenant}': allow_hosts value {value:?} {problem}; \
         expected host, host:port, [IPv6]:port or *"
    )]
    Host {
        path: PathBuf,
        tenant: String,
        value: String,
        problem: String,
    },
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    tenants: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    allow_hosts: Vec<String>,
}

impl TenantGrants {
    /// Reads and checks the tenants file at `path`.
    pub fn load(path: &Path) -> Result<Self, GrantsError> {
        let text = std::fs::read_to_string(path).map_err(|source| GrantsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: File = toml::from_str(&text).map_err(|e| GrantsError::Syntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut tenants = BTreeMap::new();
        for (tenant, entry) in file.tenants {
            if tenant.is_empty() {
                return Err(GrantsError::EmptyTenant {
                    path: path.to_owned(),
                });
            }
            let dir_error = |value: &str, problem: String| GrantsError::Dir {
                path: path.to_owned(),
                tenant: tenant.clone(),
                value: value.to_owned(),
                problem,
            };
            let mut dirs: Vec<(PathBuf, String)> = Vec::new();
            for value in &entry.dirs {
                let (host, guest) = dir(base, value).map_err(|p| dir_error(value, p))?;
                if dirs.iter().any(|(_, seen)| *seen == guest) {
                    return Err(dir_error(value, format!("grants {guest} a second time")));
                }
                dirs.push((host, guest));
            }
            for value in &entry.allow_hosts {
                check_host(value).map_err(|problem| GrantsError::Host {
                    path: path.to_owned(),
                    tenant: tenant.clone(),
                    value: value.clone(),
                    problem,
                })?;
            }
            let grants = Grants {
                dirs,
                allowed_hosts: entry.allow_hosts,
            };
            tenants.insert(tenant, grants);
        }
        Ok(Self { tenants })
    }

    /// What `tenant`'s instances may use: nothing, when the file does not list it.
    pub fn of(&self, tenant: &str) -> Grants {
        self.tenants.get(tenant).cloned().unwrap_or_default()
    }
}

/// `HOST::GUEST` (or a path for both) as (the existing host directory, the guest
/// path); a relative host path is taken from `base`.
fn dir(base: &Path, value: &str) -> Result<(PathBuf, String), String> {
    let (host, guest) = value.split_once("::").unwrap_or((value, value));
    if host.is_empty() || guest.is_empty() {
        return Err("is not HOST::GUEST or a path".into());
    }
    let resolved = base.join(host);
    let metadata = std::fs::metadata(&resolved)
        .map_err(|e| format!("names {}, which cannot be used: {e}", resolved.display()))?;
    if !metadata.is_dir() {
        return Err(format!(
            "names {}, which is not a directory",
            resolved.display()
        ));
    }
    let canonical = resolved
        .canonicalize()
        .map_err(|e| format!("names {}, which cannot be used: {e}", resolved.display()))?;
    Ok((canonical, guest.to_owned()))
}

/// Checks an HTTP host pattern: `*`, a name or IPv4 address with an optional
/// `:port`, or a bracketed IPv6 address with an optional `:port`.
fn check_host(value: &str) -> Result<(), String> {
    if value == "*" {
        return Ok(());
    }
    if value.contains('/') {
        return Err("is a URL or a path; give the host only".into());
    }
    let port = match value.strip_prefix('[') {
        Some(rest) => {
            let (address, after) = rest.split_once(']').ok_or("opens a [ it does not close")?;
            address.parse::<Ipv6Addr>().map_err(|_| {
                format!("has {address:?} in brackets, which is not an IPv6 address")
            })?;
            match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or("has something other than :port after the ]")?,
                ),
            }
        }
        None => {
            let (host, port) = match value.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (value, None),
            };
            if !is_host_name(host) {
                return Err(format!("has {host:?}, which is not a host name or address"));
            }
            port
        }
    };
    match port.map(str::parse::<u16>) {
        None | Some(Ok(1..)) => Ok(()),
        Some(_) => Err(format!(
            "has the port {:?}, which is not 1 to 65535",
            port.unwrap_or_default()
        )),
    }
}

/// A DNS name or an IPv4 address: dot-separated labels of letters, digits and
/// inner hyphens.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns_are_checked() {
        for good in [
            "*",
            "api.acme.example",
            "api.acme.example:443",
            "127.0.0.1:8080",
            "localhost",
            "[::1]",
            "[::1]:9000",
        ] {
            assert_eq!(check_host(good), Ok(()), "{good}");
        }
        for (bad, problem) in [
            ("", "\"\", which is not a host name"),
            ("api.acme.example:0", "the port \"0\""),
            ("api.acme.example:https", "the port \"https\""),
            ("api.acme.example:", "the port \"\""),
            ("http://api.acme.example", "is a URL or a path"),
            ("api/acme", "is a URL or a path"),
            ("::1", "\":\", which is not a host name"),
            ("a..b", "\"a..b\", which is not a host name"),
            ("[::1", "opens a [ it does not close"),
            ("[nope]:80", "\"nope\" in brackets"),
            ("[::1]x", "something other than :port"),
            ("*.acme.example", "which is not a host name"),
        ] {
            let error = check_host(bad).unwrap_err();
            assert!(error.contains(problem), "{bad}: {error}");
        }
    }

    fn load(text: &str) -> (tempfile::TempDir, Result<TenantGrants, GrantsError>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("acme-data")).unwrap();
        std::fs::write(dir.path().join("a-file"), "").unwrap();
        let path = dir.path().join("tenants.toml");
        std::fs::write(&path, text).unwrap();
        let loaded = TenantGrants::load(&path);
        (dir, loaded)
    }

    #[test]
    fn each_tenant_gets_its_own_grants_and_an_unlisted_one_none() {
        let (dir, grants) = load(
            "[tenants.acme]\ndirs = [\"acme-data::/data\"]\nallow_hosts = [\"127.0.0.1:8080\"]\n\
             [tenants.globex]\nallow_hosts = [\"api.globex.example\"]\n",
        );
        let grants = grants.unwrap();
        let data = dir.path().join("acme-data").canonicalize().unwrap();
        assert_eq!(
            grants.of("acme"),
            Grants {
                dirs: vec![(data, "/data".into())],
                allowed_hosts: vec!["127.0.0.1:8080".into()],
            }
        );
        assert_eq!(grants.of("globex").dirs, vec![]);
        assert_eq!(grants.of("globex").allowed_hosts, ["api.globex.example"]);
        assert_eq!(grants.of("initech"), Grants::default());
    }

    #[test]
    fn a_bad_value_is_named_with_its_file_and_tenant() {
        for (text, expected) in [
            (
                "[tenants.acme]\ndirs = [\"missing::/data\"]\n",
                "tenant 'acme': dirs value \"missing::/data\" names",
            ),
            (
                "[tenants.acme]\ndirs = [\"a-file::/data\"]\n",
                "which is not a directory",
            ),
            (
                "[tenants.acme]\ndirs = [\"acme-data::/d\", \"acme-data::/d\"]\n",
                "grants /d a second time",
            ),
            (
                "[tenants.acme]\ndirs = [\"::/data\"]\n",
                "is not HOST::GUEST or a path",
            ),
            (
                "[tenants.globex]\nallow_hosts = [\"api.globex.example:99999\"]\n",
                "tenant 'globex': allow_hosts value \"api.globex.example:99999\" has the port",
            ),
            ("[tenants.acme]\ndir = []\n", "unknown field `dir`"),
            ("[tenants.acme\n", "is not valid"),
            ("[tenants.\"\"]\n", "a tenant with an empty name"),
        ] {
            let (dir, loaded) = load(text);
            let error = loaded.unwrap_err().to_string();
            let file = dir.path().join("tenants.toml").display().to_string();
            assert!(error.contains(&file), "{error}");
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
