//! Compile-time behaviour of `#[derive(Injectable)]`: every supported shape
//! compiles, and every mistake gets one readable error at the right span.
//! The expected errors are the checked-in `tests/ui/fail/*.stderr`; after a
//! deliberate change, regenerate them with `TRYBUILD=overwrite` and read
//! them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
