//! Unit tests of the PHI gate, one group per category, plus what must pass.

use super::*;

fn blocked(text: &str) -> bool {
    check(text).blocked
}

fn categories(text: &str) -> Vec<Category> {
    check(text)
        .findings
        .iter()
        .filter(|f| !f.allowed)
        .map(|f| f.category)
        .collect()
}

#[test]
fn ordinary_reminder_passes() {
    let v = check(
        "Hi Maria, reminder of your appointment with Dr. Patel on Tue Nov 25 at 9:30 AM at \
         Riverside Family Practice, 12 Main St Suite 200. Reply C to confirm, R to reschedule. \
         Reply STOP to opt out.",
    );
    assert!(!v.blocked, "{:?}", v.findings);
}

#[test]
fn conditions() {
    assert_eq!(
        categories("Your diabetes follow-up is Tuesday"),
        [Category::Condition]
    );
    assert!(blocked("Update on your HTN and T2DM care"));
    assert!(blocked("no sign of cancer on the scan"));
}
