//! The audit log's filter as a manager types it: `staff:ana action:consent from:2026-01-01
//! to:2026-01-31 patient:7`, any of them, any order (`member:` and `user:` mean `staff:`).
//! Pure; tested by a table.

use crate::domain::stats::period::parse_date;
use crate::workflow::manager_views::AuditQuery;

/// Read a typed filter; an empty one is the whole log.
pub fn parse(text: &str) -> Result<AuditQuery, String> {
    let mut q = AuditQuery::default();
    for word in text.split_whitespace() {
        let Some((key, value)) = word.split_once(':').filter(|(_, v)| !v.is_empty()) else {
            return Err(format!(
                "{word:?}: write key:value, e.g. staff:ana action:consent from:2026-01-01 to:2026-01-31 patient:7"
            ));
        };
        match key.to_lowercase().as_str() {
            "staff" | "member" | "user" => q.actor = Some(value.to_string()),
            "action" => q.action = Some(value.to_string()),
            "from" => q.from = Some(parse_date(value).map_err(|e| e.to_string())?),
            "to" => q.to = Some(parse_date(value).map_err(|e| e.to_string())?),
            "patient" => {
                q.patient = Some(
                    value
                        .parse::<i64>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| format!("patient:{value} — a patient is a number"))?,
                )
            }
            other => {
                return Err(format!(
                    "{other}: not a filter (staff, action, from, to, patient)"
                ));
            }
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(format!("from:{from} is after to:{to}"));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn every_key_is_read_in_any_order() {
        let q = parse("patient:7  to:2026-01-31 action:consent Staff:ana from:2026-01-01").unwrap();
        assert_eq!(q.actor.as_deref(), Some("ana"));
        assert_eq!(q.action.as_deref(), Some("consent"));
        assert_eq!(q.from.unwrap().to_string(), "2026-01-01");
        assert_eq!(q.to.unwrap().to_string(), "2026-01-31");
        assert_eq!(q.patient, Some(7));
        assert_eq!(parse("   ").unwrap(), AuditQuery::default());
        assert_eq!(parse("member:bo").unwrap().actor.as_deref(), Some("bo"));
    }

    #[rstest]
    #[case("ana", "key:value")]
    #[case("staff:", "key:value")]
    #[case("who:ana", "not a filter")]
    #[case("from:1/2/2026", "YYYY-MM-DD")]
    #[case("patient:Lovelace", "a patient is a number")]
    #[case("patient:-3", "a patient is a number")]
    #[case("from:2026-02-01 to:2026-01-01", "after")]
    fn mistakes_are_named(#[case] text: &str, #[case] why: &str) {
        let e = parse(text).unwrap_err();
        assert!(e.contains(why), "{text}: {e}");
    }
}
