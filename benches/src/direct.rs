//! `direct`: hand-written wiring building the same objects. The floor.

use std::sync::Arc;

use crate::model::*;
use crate::{Runner, keep};

const ID: &str = "direct";

/// Runs every scenario with hand-written code.
pub fn run(r: &mut impl Runner) {
    let (s1, s2, s3) = (Arc::new(S1(1)), Arc::new(S2(2)), Arc::new(S3(3)));
    let s = (s1.clone(), s2.clone(), s3.clone());
    r.bench("s1_singleton", ID, || {
        let s = keep(&s);
        (s.0.clone(), s.1.clone(), s.2.clone())
    });
    r.bench("s2a_transient_nodeps", ID, || {
        (Arc::new(T1(1)), Arc::new(T2(2)), Arc::new(T3(3)))
    });
    r.bench("s2b_transient_3deps", ID, || {
        let s = keep(&s);
        (
            Arc::new(U1(s.0.clone(), s.1.clone(), s.2.clone())),
            Arc::new(U2(s.0.clone(), s.1.clone(), s.2.clone())),
            Arc::new(U3(s.0.clone(), s.1.clone(), s.2.clone())),
        )
    });
    r.bench("s3_complex", ID, || {
        let s = keep(&s);
        Arc::new(Complex(
            s.0.clone(),
            s.1.clone(),
            s.2.clone(),
            Arc::new(Ta(s.0.clone())),
            Arc::new(Tb(s.1.clone())),
            Arc::new(Tc(s.2.clone())),
        ))
    });
    let scope = (Arc::new(Sc1(1)), Arc::new(Sc2(2)), Arc::new(Sc3(3)));
    r.bench("s4_scoped_hit", ID, || {
        let sc = keep(&scope);
        (sc.0.clone(), sc.1.clone(), sc.2.clone())
    });
    r.bench("s5_empty_scope", ID, || Arc::new(Sc1(0)));
    let g = (
        Arc::new(G1(1)),
        Arc::new(G2(2)),
        Arc::new(G3(3)),
        Arc::new(G4(4)),
        Arc::new(G5(5)),
    );
    r.bench("s6_request", ID, || request(keep(&g)));
    r.bench_threads("s7a_threads_singleton", ID, || {
        let s = keep(&s);
        (s.0.clone(), s.1.clone(), s.2.clone())
    });
    r.bench_threads("s7b_threads_scope", ID, || {
        (Arc::new(Sc1(1)), Arc::new(Sc2(2)), Arc::new(Sc3(3)))
    });
    let rt = runtime();
    r.bench("s9_async_request", ID, || {
        rt.block_on(request_async(keep(&g)))
    });
}

/// The current-thread tokio runtime scenario 9 runs on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime starts")
}

macro_rules! open_async {
    ($($f:ident $S:ident $v:literal),*) => {$(
        /// An async constructor, as a database session's would be.
        #[inline(never)]
        async fn $f() -> $S {
            $S($v)
        }
    )*};
}
open_async!(open1 Sc1 1, open2 Sc2 2, open3 Sc3 3, open4 Sc4 4, open5 Sc5 5);

/// Scenario 9 by hand: scenario 6 with the scoped services opened by async
/// constructors.
async fn request_async(g: &Globals) -> Arc<Controller> {
    let sc = (
        Arc::new(open1().await),
        Arc::new(open2().await),
        Arc::new(open3().await),
        Arc::new(open4().await),
        Arc::new(open5().await),
    );
    let s = || {
        (
            sc.0.clone(),
            sc.1.clone(),
            sc.2.clone(),
            sc.3.clone(),
            sc.4.clone(),
        )
    };
    Arc::new(Controller(
        Arc::new(R1 {
            g: g.0.clone(),
            s: s(),
        }),
        Arc::new(R2 {
            g: g.1.clone(),
            s: s(),
        }),
        Arc::new(R3 {
            g: g.2.clone(),
            s: s(),
        }),
        Arc::new(R4 {
            g: g.3.clone(),
            s: s(),
        }),
        Arc::new(R5 {
            g: g.4.clone(),
            s: s(),
        }),
    ))
}

type Globals = (Arc<G1>, Arc<G2>, Arc<G3>, Arc<G4>, Arc<G5>);

/// Scenario 6 by hand: the request's scoped services, then the controller.
#[inline(never)]
fn request(g: &Globals) -> Arc<Controller> {
    let sc = (
        Arc::new(Sc1(1)),
        Arc::new(Sc2(2)),
        Arc::new(Sc3(3)),
        Arc::new(Sc4(4)),
        Arc::new(Sc5(5)),
    );
    let s = || {
        (
            sc.0.clone(),
            sc.1.clone(),
            sc.2.clone(),
            sc.3.clone(),
            sc.4.clone(),
        )
    };
    Arc::new(Controller(
        Arc::new(R1 {
            g: g.0.clone(),
            s: s(),
        }),
        Arc::new(R2 {
            g: g.1.clone(),
            s: s(),
        }),
        Arc::new(R3 {
            g: g.2.clone(),
            s: s(),
        }),
        Arc::new(R4 {
            g: g.3.clone(),
            s: s(),
        }),
        Arc::new(R5 {
            g: g.4.clone(),
            s: s(),
        }),
    ))
}
