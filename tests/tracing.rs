//! The `tracing` feature: a span per top-level resolution, events for
//! creations, failures, pool waits and disposers, seen by a recording
//! subscriber. Run with `cargo test --features tracing --test tracing`
//! (`.ci/run` does).
#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tenure::Container;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// One span opened or event emitted, with its fields as text.
#[derive(Clone, Debug)]
struct Seen {
    span: bool,
    level: Level,
    /// The span's name, or the event's message.
    name: String,
    fields: BTreeMap<String, String>,
    /// The innermost span entered when an event was emitted.
    parent: Option<u64>,
    id: u64,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
    stack: Arc<Mutex<Vec<u64>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "tenure"
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.seen.lock().push(Seen {
            span: true,
            level: *attrs.metadata().level(),
            name: attrs.metadata().name().to_owned(),
            fields,
            parent: self.stack.lock().last().copied(),
            id,
        });
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let name = fields.remove("message").unwrap_or_default();
        self.seen.lock().push(Seen {
            span: false,
            level: *event.metadata().level(),
            name,
            fields,
            parent: self.stack.lock().last().copied(),
            id: 0,
        });
    }
    fn enter(&self, span: &Id) {
        self.stack.lock().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.stack.lock().pop();
    }
}

impl Recorder {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock())
    }
}

fn events<'a>(seen: &'a [Seen], message: &str) -> Vec<&'a Seen> {
    seen.iter()
        .filter(|s| !s.span && s.name == message)
        .collect()
}

struct Pool;
struct Session {
    _pool: Arc<Pool>,
}
struct Conn;

#[test]
fn a_resolution_is_a_span_and_each_creation_an_event_inside_it() {
    let c = Container::builder()
        .singleton(|| Pool)
        .scoped(|_pool: Arc<Pool>| Session { _pool })
        .build()
        .unwrap();
    let rec = Recorder::default();
    tracing::subscriber::with_default(rec.clone(), || {
        let scope = c.scope();
        scope.resolve::<Session>().unwrap();
        let seen = rec.take();
        let spans: Vec<&Seen> = seen.iter().filter(|s| s.span).collect();
        assert_eq!(spans.len(), 1, "{seen:#?}");
        let span = spans[0];
        assert_eq!(span.name, "resolve");
        assert_eq!(span.level, Level::DEBUG);
        assert_eq!(
            span.field("service"),
            Some(std::any::type_name::<Session>())
        );
        assert_eq!(span.field("lifetime"), Some("scoped"));
        assert_eq!(span.field("scope"), Some(scope.id().to_string().as_str()));

        let created = events(&seen, "created");
        let names: Vec<_> = created
            .iter()
            .map(|e| e.field("service").unwrap())
            .collect();
        // The dependency is created (and completes) first.
        assert_eq!(
            names,
            [
                std::any::type_name::<Pool>(),
                std::any::type_name::<Session>()
            ]
        );
        for e in &created {
            assert_eq!(e.parent, Some(span.id), "inside the resolve span");
            assert!(e.field("micros").unwrap().parse::<u64>().is_ok());
        }
        // The singleton is created by the root, whichever scope asked.
        assert_eq!(created[0].field("scope"), Some("0"));
        assert_eq!(created[0].field("lifetime"), Some("singleton"));
        assert_eq!(
            created[1].field("scope"),
            Some(scope.id().to_string().as_str())
        );

        // A hit: a span, no creation.
        scope.resolve::<Session>().unwrap();
        let seen = rec.take();
        assert_eq!(seen.iter().filter(|s| s.span).count(), 1);
        assert!(events(&seen, "created").is_empty(), "{seen:#?}");
    });
}

#[test]
fn a_failed_resolution_is_an_event_with_the_full_message() {
    let c = Container::builder()
        .singleton(|| Pool)
        .scoped(|_pool: Arc<Pool>| Session { _pool })
        .try_transient(|| -> Result<Conn, std::io::Error> { Err(std::io::Error::other("refused")) })
        .build()
        .unwrap();
    let rec = Recorder::default();
    tracing::subscriber::with_default(rec.clone(), || {
        assert!(c.resolve::<Session>().is_err());
        let seen = rec.take();
        let failed = events(&seen, "resolution failed");
        assert_eq!(failed.len(), 1, "{seen:#?}");
        assert!(
            failed[0]
                .field("error")
                .unwrap()
                .contains("can only be resolved inside a scope"),
            "{:?}",
            failed[0]
        );
        assert_eq!(failed[0].parent, Some(seen[0].id));

        assert!(c.resolve::<Conn>().is_err());
        let seen = rec.take();
        let creation = events(&seen, "creation failed");
        assert_eq!(creation.len(), 1, "{seen:#?}");
        assert_eq!(creation[0].level, Level::TRACE);
        assert_eq!(
            creation[0].field("service"),
            Some(std::any::type_name::<Conn>())
        );
        assert!(
            events(&seen, "resolution failed")[0]
                .field("error")
                .unwrap()
                .contains("the factory of transient")
        );
    });
}

#[test]
fn an_async_renter_that_waits_for_a_pooled_instance_is_seen_waiting() {
    let c = Container::builder().pooled(1, || Conn).build().unwrap();
    let rec = Recorder::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    tracing::subscriber::with_default(rec.clone(), || {
        rt.block_on(async {
            let first = c.scope();
            first.resolve_async::<Conn>().await.unwrap();
            let second = c.scope();
            let waiter = async { second.resolve_async::<Conn>().await.map(drop) };
            let release = async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                drop(first);
            };
            let (got, ()) = tokio::join!(waiter, release);
            got.unwrap();
        });
        let seen = rec.take();
        let waiting = events(&seen, "waiting for a pooled instance");
        assert_eq!(waiting.len(), 1, "{seen:#?}");
        let got = events(&seen, "got a pooled instance");
        assert_eq!(got.len(), 1, "{seen:#?}");
        let waited: u64 = got[0].field("waited_micros").unwrap().parse().unwrap();
        assert!(waited > 0);
        // The second rent reused the instance the first scope gave back.
        assert_eq!(events(&seen, "rented an idle pooled instance").len(), 1);
        // Both resolutions were spans, the second one's scope is its own.
        let spans: Vec<&Seen> = seen.iter().filter(|s| s.span).collect();
        assert_eq!(spans.len(), 2);
        assert_ne!(spans[0].field("scope"), spans[1].field("scope"));
        assert_eq!(got[0].field("scope"), spans[1].field("scope"));
    });
}

#[test]
fn each_async_disposer_is_an_event_with_its_outcome() {
    struct Flaky;
    let c = Container::builder()
        .scoped(|| Conn)
        .dispose_with::<Conn, _, _, std::io::Error>(|_| async { Ok(()) })
        .scoped(|| Flaky)
        .dispose_with::<Flaky, _, _, _>(|_| async { Err(std::io::Error::other("flush failed")) })
        .build()
        .unwrap();
    let rec = Recorder::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    tracing::subscriber::with_default(rec.clone(), || {
        let id = rt.block_on(async {
            let scope = c.scope();
            scope.resolve::<Conn>().unwrap();
            scope.resolve::<Flaky>().unwrap();
            let id = scope.id();
            assert!(scope.dispose().await.is_err());
            id
        });
        let seen = rec.take();
        let ran = events(&seen, "async disposer ran");
        assert_eq!(ran.len(), 1, "{seen:#?}");
        assert_eq!(ran[0].field("service"), Some(std::any::type_name::<Conn>()));
        assert_eq!(ran[0].field("outcome"), Some("ok"));
        assert_eq!(ran[0].field("scope"), Some(id.to_string().as_str()));
        let failed = events(&seen, "async disposer did not complete");
        assert_eq!(failed.len(), 1, "{seen:#?}");
        assert_eq!(failed[0].level, Level::WARN);
        assert_eq!(failed[0].field("outcome"), Some("failed"));
        assert_eq!(failed[0].field("error"), Some("flush failed"));
    });
}
