//! Shared helpers for the integration tests: a probe that counts creations
//! and drops and records their order.
//!
//! Each test makes its own [`Probe`], so tests running in parallel threads of
//! one binary never see each other's counts.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

#[derive(Default)]
struct Inner {
    created: AtomicUsize,
    dropped: AtomicUsize,
    events: Mutex<Vec<String>>,
}

/// Counts the [`Token`]s it hands out and records `+name` / `-name` events.
#[derive(Clone, Default)]
pub struct Probe(Arc<Inner>);

impl Probe {
    pub fn new() -> Probe {
        Probe::default()
    }

    /// A token for a new instance called `name`; its creation is recorded now
    /// and its drop when the token is dropped.
    pub fn token(&self, name: &str) -> Token {
        let id = self.0.created.fetch_add(1, Ordering::SeqCst);
        self.0.events.lock().push(format!("+{name}"));
        Token {
            id,
            name: name.to_owned(),
            probe: self.clone(),
        }
    }

    /// Tokens created so far.
    pub fn created(&self) -> usize {
        self.0.created.load(Ordering::SeqCst)
    }

    /// Tokens dropped so far.
    pub fn dropped(&self) -> usize {
        self.0.dropped.load(Ordering::SeqCst)
    }

    /// Tokens alive now.
    pub fn alive(&self) -> usize {
        self.created() - self.dropped()
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<String> {
        self.0.events.lock().clone()
    }

    /// Only the drop events, in order, as names.
    pub fn drops(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| e.strip_prefix('-').map(str::to_owned))
            .collect()
    }

    /// Forgets the recorded events (the counters stay).
    pub fn clear_events(&self) {
        self.0.events.lock().clear();
    }
}

/// Held by a service instance: counts its creation and its drop.
pub struct Token {
    /// A number unique among the tokens of one probe.
    pub id: usize,
    pub name: String,
    probe: Probe,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.probe.0.dropped.fetch_add(1, Ordering::SeqCst);
        self.probe.0.events.lock().push(format!("-{}", self.name));
    }
}

/// A counter of factory calls, shared by a factory closure and the test.
#[derive(Clone, Default)]
pub struct Calls(Arc<AtomicUsize>);

impl Calls {
    pub fn new() -> Calls {
        Calls::default()
    }

    /// Records one call and returns how many calls there were before it.
    pub fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The `file:line:` prefix that a registration made on `line` of this test
/// file prints in messages (the column follows).
pub fn site(file: &str, line: u32) -> String {
    format!("registered at {file}:{line}:")
}

/// The messages of `err` and of every error in its source chain, outermost
/// first.
#[allow(dead_code)]
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut chain = vec![err.to_string()];
    let mut src = err.source();
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    chain
}

/// Runs `f` on a thread of its own and fails if it does not finish within
/// `limit` (`hang` says what a hang means): a test of something that must
/// not block a thread (a current-thread runtime whose only thread blocks
/// hangs, its timers with it) fails instead of hanging. A panic in `f` is
/// the test's panic.
pub fn on_a_watched_thread(
    limit: std::time::Duration,
    hang: &str,
    f: impl FnOnce() + Send + 'static,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let (done, finished) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        // Finished, or panicked (the sender dropped): the join says which.
        Ok(()) | Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("{hang}"),
    }
}

/// A current-thread Tokio runtime with timers.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
