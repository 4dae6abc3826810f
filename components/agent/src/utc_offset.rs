//! UTC offsets as the agents that read time zones write them (utils, datetime).

/// `+HH`, `+HHMM` or `+HH:MM` (or with `-`), hours 0 to 23 and minutes 0 to 59, as
/// seconds east of UTC; anything else is `None`.
pub fn seconds_east(text: &str) -> Option<i32> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &text[1..];
    if !rest.is_ascii() {
        return None; // also keeps the slicing below on character boundaries
    }
    let (hours, minutes) = match rest.as_bytes() {
        [_, _] => (rest, "00"),
        [_, _, _, _] => rest.split_at(2),
        [_, _, b':', _, _] => (&rest[..2], &rest[3..]),
        _ => return None,
    };
    let number = |digits: &str| -> Option<i32> {
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    let (hours, minutes) = (number(hours)?, number(minutes)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms_and_nothing_else() {
        assert_eq!(seconds_east("+05:30"), Some(19_800));
        assert_eq!(seconds_east("-0800"), Some(-28_800));
        assert_eq!(seconds_east("+02"), Some(7_200));
        assert_eq!(seconds_east("-00:00"), Some(0));
        assert_eq!(seconds_east("+23:59"), Some(86_340));
        for bad in [
            "+24:00", "+05:60", "+5", "+05:3", "05:30", "+0５", "+05-30", "", "+",
        ] {
            assert_eq!(seconds_east(bad), None, "{bad}");
        }
    }
}
