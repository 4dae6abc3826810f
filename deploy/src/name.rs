//! Names an application takes from its scenario.

/// `name` as an application id: lowercase ASCII letters and digits, every
/// other run of characters one `-`, starting with a letter (`scenario-` is put
/// in front when it would not). It is a Spin component id, an npm package name
/// and the browser host's IndexedDB database name.
pub fn app_id(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    if id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.to_owned()
    } else if id.is_empty() {
        "scenario".to_owned()
    } else {
        format!("scenario-{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::app_id;

    #[test]
    fn an_app_id_is_kebab_case_from_a_letter() {
        assert_eq!(app_id("Order Summary (v2)"), "order-summary-v2");
        assert_eq!(app_id("2fa_check"), "scenario-2fa-check");
        assert_eq!(app_id("***"), "scenario");
        assert_eq!(app_id("ÅÄÖ flow"), "flow");
    }
}
