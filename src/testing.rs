//! Support shared by the unit tests of every layer; compiled for tests only.

/// A property test's settings: proptest's defaults, with the failures it finds kept in
/// `file` (a path from the crate's root, under `tests/proptest-regressions/`) and replayed
/// first on every run. Proptest's own default keeps them in a folder at the crate's top, which
/// the repository's layout leaves to `Cargo.toml`, `src/`, `tests/` and the rest.
pub fn proptest_config(file: &'static str) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(file),
        )),
        ..proptest::test_runner::Config::default()
    }
}
