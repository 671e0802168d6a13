//! Private macros.

/// Calls `$m!` with every identifier list from 0 to 12 elements, the way
/// axum implements its handler trait for every arity.
macro_rules! all_tuples {
    ($m:ident) => {
        $m!();
        $m!(A1);
        $m!(A1, A2);
        $m!(A1, A2, A3);
        $m!(A1, A2, A3, A4);
        $m!(A1, A2, A3, A4, A5);
        $m!(A1, A2, A3, A4, A5, A6);
        $m!(A1, A2, A3, A4, A5, A6, A7);
        $m!(A1, A2, A3, A4, A5, A6, A7, A8);
        $m!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
        $m!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
        $m!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
        $m!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
    };
}

pub(crate) use all_tuples;
