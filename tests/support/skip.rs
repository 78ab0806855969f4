//! A test that needs a tool this machine may lack (tmux, node and the Twilio contract): on a
//! developer's machine it says plainly that it was skipped and returns; in CI (`CI` set, as
//! `.ci/run` does) a skip is a failure, because a test that did not run proves nothing.

use std::io::Write;

/// Whether this run is CI: `CI` set to anything but empty, `0` or `false`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// `Some(why)` when the test cannot run here. Returns `true` when the caller should return
/// (skipped, said on the real stderr); panics in CI.
pub fn skipped(test: &str, missing: Option<String>) -> bool {
    let Some(why) = missing else { return false };
    assert!(
        !in_ci(),
        "{test} cannot run: {why}. CI must run it (.ci/run installs what it needs)"
    );
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {test}: {why} (set CI=1 to make this a failure)"
    );
    true
}

/// Whether `program --version`-like `args` runs and succeeds.
pub fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}
