//! Fuzz `phi::check` and `Gate::check`: never panic, and every finding is a valid slice of
//! the input whose text it repeats. The gate is pure (std + serde), so it is compiled here
//! from its sources rather than through the whole application crate.
#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../../src/phi/mod.rs"]
mod phi;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verdict = phi::check(text);
    for f in &verdict.findings {
        assert!(f.start <= f.end && f.end <= text.len());
        assert_eq!(&text[f.start..f.end], f.text);
    }
    assert_eq!(verdict.blocked, verdict.findings.iter().any(|f| !f.allowed));
    // The allow-list path: the first line allow-lists itself.
    if let Some((allow, rest)) = text.split_once('\n') {
        let gate = phi::Gate::with_allow_list(&[allow.to_string()]);
        let v = gate.check(rest);
        for f in &v.findings {
            assert_eq!(&rest[f.start..f.end], f.text);
        }
    }
    let _ = verdict.summary();
});
