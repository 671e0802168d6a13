//! The load mode: concurrent clients over real HTTP (loopback only), each
//! registering its own client id and checking that every answer carries
//! its own data, optionally with faults; then a summary.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::app::{Counts, INJECTED_FAULT_BODY, Issued, Me, NewClient, TokenList, TokenRequest};
use crate::store::ClientRecord;

/// What to send.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Requests in all, registrations included.
    pub requests: usize,
    /// Concurrent clients, each on its own connection(s).
    pub concurrency: usize,
    /// Whether a share of requests ask for a fault (`X-Fault`).
    pub faults: bool,
    /// How long a client waits for a stalled request before abandoning it.
    pub abandon_after: Duration,
}

/// Faults asked for, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    Handler,
    Factory,
    Stall,
}

impl Plan {
    pub fn new(requests: usize, concurrency: usize, faults: bool) -> Plan {
        Plan {
            requests,
            concurrency,
            faults,
            abandon_after: Duration::from_millis(100),
        }
    }

    /// The fault, if any, of client `i`'s request `k` (`k >= 1`; request 0
    /// registers): one request in 7, the kinds in turn. Deterministic, so
    /// a run's expected counts are known.
    fn fault(&self, i: usize, k: usize) -> Option<Asked> {
        if !self.faults || k % 7 != 3 {
            return None;
        }
        Some([Asked::Handler, Asked::Factory, Asked::Stall][(k / 7 + i) % 3])
    }
}

/// What happened.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sent: usize,
    /// Answered as a correct request should be.
    pub ok: usize,
    /// Faults answered as their kind should be.
    pub handler_faults: usize,
    pub factory_faults: usize,
    /// Stalled requests the client abandoned (timed out, as planned).
    pub abandoned: usize,
    /// Anything else: wrong status, wrong body, wrong data.
    pub failures: Vec<String>,
    /// Answers that carried another client's data (counted in `failures`
    /// too).
    pub cross_client: usize,
    /// Latency of every answered request (abandoned ones excluded).
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

impl Outcome {
    fn merge(&mut self, o: Outcome) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.handler_faults += o.handler_faults;
        self.factory_faults += o.factory_faults;
        self.abandoned += o.abandoned;
        self.failures.extend(o.failures);
        self.cross_client += o.cross_client;
        self.latencies.extend(o.latencies);
    }

    pub fn expected_errors(&self) -> usize {
        self.handler_faults + self.factory_faults + self.abandoned
    }

    /// Requests per second.
    pub fn throughput(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-th percentile latency (`p` in 0..=100).
    pub fn percentile(&self, p: f64) -> Duration {
        let mut v = self.latencies.clone();
        v.sort();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let at = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[at.min(v.len() - 1)]
    }
}

/// Sends `plan.requests` requests to `base` (`http://127.0.0.1:PORT`) from
/// `plan.concurrency` clients, and checks every answer.
pub async fn run(base: &str, plan: &Plan) -> Outcome {
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "the load mode sends to loopback only, not {base}"
    );
    let concurrency = plan.concurrency.clamp(1, plan.requests.max(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..concurrency {
        let n = plan.requests / concurrency + usize::from(i < plan.requests % concurrency);
        let (base, plan) = (base.to_owned(), plan.clone());
        tasks.push(tokio::spawn(
            async move { client(i, n, &base, &plan).await },
        ));
    }
    let mut all = Outcome::default();
    for t in tasks {
        match t.await {
            Ok(o) => all.merge(o),
            Err(e) => all.failures.push(format!("a client task failed: {e}")),
        }
    }
    all.elapsed = started.elapsed();
    all
}

/// One client: registers, then issues tokens, reads itself back and lists
/// its tokens in turn, checking each answer against what it knows.
async fn client(i: usize, n: usize, base: &str, plan: &Plan) -> Outcome {
    let mut out = Outcome::default();
    if n == 0 {
        return out;
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client");
    let name = format!("load-client-{i}");

    out.sent += 1;
    let t = Instant::now();
    let me = match register(&http, base, &name).await {
        Ok(me) => me,
        Err(e) => {
            out.failures.push(format!("client {i}: register: {e}"));
            // Nothing else can be checked without an id.
            out.sent = n;
            return out;
        }
    };
    out.latencies.push(t.elapsed());
    out.ok += 1;
    if me.name != name {
        out.cross_client += 1;
        out.failures
            .push(format!("client {i}: registered as {:?}, got {me:?}", name));
    }

    let mut tokens = BTreeSet::new();
    let mut last: Option<String> = None;
    for k in 1..n {
        out.sent += 1;
        let t = Instant::now();
        let step = match plan.fault(i, k) {
            Some(fault) => faulty(&http, base, &me, last.as_deref(), fault, plan).await,
            None => match (k - 1) % 3 {
                0 => issue(&http, base, &me, &mut tokens).await.map(|tok| {
                    last = Some(tok);
                    Step::Ok
                }),
                1 => read_me(&http, base, &me, last.as_deref(), &tokens).await,
                _ => list(&http, base, &me, last.as_deref(), &tokens).await,
            },
        };
        match step {
            Ok(step) => {
                if step != Step::Abandoned {
                    out.latencies.push(t.elapsed());
                }
                match step {
                    Step::Ok => out.ok += 1,
                    Step::HandlerFault => out.handler_faults += 1,
                    Step::FactoryFault => out.factory_faults += 1,
                    Step::Abandoned => out.abandoned += 1,
                }
            }
            Err(Failure { message, cross }) => {
                out.latencies.push(t.elapsed());
                out.cross_client += usize::from(cross);
                out.failures
                    .push(format!("client {i}, request {k}: {message}"));
            }
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    Ok,
    HandlerFault,
    FactoryFault,
    Abandoned,
}

struct Failure {
    message: String,
    /// The answer carried another client's data.
    cross: bool,
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        cross: false,
    }
}

fn cross(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        cross: true,
    }
}

async fn expect_json<T: serde::de::DeserializeOwned>(
    res: reqwest::Result<reqwest::Response>,
    status: StatusCode,
) -> Result<T, Failure> {
    let res = res.map_err(|e| fail(format!("transport: {e}")))?;
    let got = res.status();
    let body = res.text().await.map_err(|e| fail(format!("body: {e}")))?;
    if got != status {
        return Err(fail(format!("status {got}, expected {status}: {body}")));
    }
    serde_json::from_str(&body).map_err(|e| fail(format!("bad JSON ({e}): {body}")))
}

async fn register(http: &reqwest::Client, base: &str, name: &str) -> Result<ClientRecord, String> {
    let res = http
        .post(format!("{base}/clients"))
        .json(&NewClient { name: name.into() })
        .send()
        .await;
    expect_json(res, StatusCode::CREATED)
        .await
        .map_err(|f| f.message)
}

async fn issue(
    http: &reqwest::Client,
    base: &str,
    me: &ClientRecord,
    tokens: &mut BTreeSet<String>,
) -> Result<String, Failure> {
    let res = http
        .post(format!("{base}/token"))
        .header("x-client-id", &me.client_id)
        .json(&TokenRequest {
            client_secret: me.client_secret.clone(),
        })
        .send()
        .await;
    let issued: Issued = expect_json(res, StatusCode::OK).await?;
    if issued.client_id != me.client_id {
        return Err(cross(format!(
            "token issued to {}, expected {}",
            issued.client_id, me.client_id
        )));
    }
    if !tokens.insert(issued.access_token.clone()) {
        return Err(fail(format!("token {} issued twice", issued.access_token)));
    }
    Ok(issued.access_token)
}

fn bearer(token: Option<&str>) -> String {
    format!("Bearer {}", token.unwrap_or("none-yet"))
}

async fn read_me(
    http: &reqwest::Client,
    base: &str,
    me: &ClientRecord,
    token: Option<&str>,
    tokens: &BTreeSet<String>,
) -> Result<Step, Failure> {
    let res = http
        .get(format!("{base}/me"))
        .header("authorization", bearer(token))
        .send()
        .await;
    let got: Me = expect_json(res, StatusCode::OK).await?;
    if got.client_id != me.client_id || got.name != me.name {
        return Err(cross(format!("/me answered {got:?} to {}", me.client_id)));
    }
    if got.tokens != tokens.len() {
        return Err(fail(format!(
            "/me counts {} tokens, {} were issued",
            got.tokens,
            tokens.len()
        )));
    }
    Ok(Step::Ok)
}

async fn list(
    http: &reqwest::Client,
    base: &str,
    me: &ClientRecord,
    token: Option<&str>,
    tokens: &BTreeSet<String>,
) -> Result<Step, Failure> {
    let res = http
        .get(format!("{base}/me/tokens"))
        .header("authorization", bearer(token))
        .send()
        .await;
    let got: TokenList = expect_json(res, StatusCode::OK).await?;
    if got.client_id != me.client_id {
        return Err(cross(format!(
            "/me/tokens of {} answered to {}",
            got.client_id, me.client_id
        )));
    }
    let listed: BTreeSet<String> = got.tokens.into_iter().collect();
    if let Some(other) = listed.difference(tokens).next() {
        return Err(cross(format!(
            "/me/tokens lists {other}, not issued to {}",
            me.client_id
        )));
    }
    if listed.len() != tokens.len() {
        return Err(fail(format!(
            "/me/tokens lists {} tokens, {} were issued",
            listed.len(),
            tokens.len()
        )));
    }
    Ok(Step::Ok)
}

async fn faulty(
    http: &reqwest::Client,
    base: &str,
    me: &ClientRecord,
    token: Option<&str>,
    fault: Asked,
    plan: &Plan,
) -> Result<Step, Failure> {
    match fault {
        Asked::Handler => {
            // Writes a token, then fails: the token must be rolled back
            // (the next list checks it is not there).
            let res = http
                .post(format!("{base}/token"))
                .header("x-client-id", &me.client_id)
                .header("x-fault", "handler")
                .json(&TokenRequest {
                    client_secret: me.client_secret.clone(),
                })
                .send()
                .await
                .map_err(|e| fail(format!("transport: {e}")))?;
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            if status == StatusCode::INTERNAL_SERVER_ERROR && body == INJECTED_FAULT_BODY {
                Ok(Step::HandlerFault)
            } else {
                Err(fail(format!("handler fault answered {status}: {body}")))
            }
        }
        Asked::Factory => {
            let res = http
                .get(format!("{base}/me"))
                .header("authorization", bearer(token))
                .header("x-fault", "factory")
                .send()
                .await
                .map_err(|e| fail(format!("transport: {e}")))?;
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            if status == StatusCode::INTERNAL_SERVER_ERROR && body.starts_with("internal error") {
                Ok(Step::FactoryFault)
            } else {
                Err(fail(format!("factory fault answered {status}: {body}")))
            }
        }
        Asked::Stall => {
            let res = http
                .get(format!("{base}/me"))
                .header("authorization", bearer(token))
                .header("x-fault", "stall")
                .timeout(plan.abandon_after)
                .send()
                .await;
            match res {
                Err(e) if e.is_timeout() => Ok(Step::Abandoned),
                Err(e) => Err(fail(format!("stall: transport: {e}"))),
                Ok(res) => Err(fail(format!("stall answered {}", res.status()))),
            }
        }
    }
}

/// What the server's transaction counts must say about a run, given what
/// the clients saw: every correct answer committed once; every fault whose
/// transaction had begun rolled it back (a handler fault always, after its
/// write; a factory fault never: no query ran; an abandoned request if it
/// got that far, so at least the ones that reached the stall); nothing
/// dropped without its disposer.
pub fn accounting(o: &Outcome, before: &Counts, after: &Counts) -> Vec<String> {
    let d = |a: u64, b: u64| a - b;
    let begun = d(after.begun, before.begun);
    let committed = d(after.committed, before.committed);
    let rolled_back = d(after.rolled_back, before.rolled_back);
    let stalled = d(after.stalled, before.stalled);
    let faults = o.handler_faults as u64;
    let mut wrong = Vec::new();
    if committed != o.ok as u64 {
        wrong.push(format!("{committed} commits for {} correct answers", o.ok));
    }
    if begun != committed + rolled_back + d(after.dropped_open, before.dropped_open) {
        wrong.push(format!(
            "{begun} transactions begun, {committed} committed, {rolled_back} rolled back"
        ));
    }
    let (least, most) = (faults + stalled, faults + o.abandoned as u64);
    if !(least..=most).contains(&rolled_back) {
        wrong.push(format!(
            "{rolled_back} rollbacks, expected {least}..={most} (handler faults {faults}, stalled \
             {stalled}, abandoned {})",
            o.abandoned
        ));
    }
    if stalled > o.abandoned as u64 {
        wrong.push(format!(
            "{stalled} requests stalled, {} abandoned",
            o.abandoned
        ));
    }
    wrong
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The summary of one run.
pub fn summary(label: &str, plan: &Plan, o: &Outcome, before: &Counts, after: &Counts) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{label}: {} requests from {} concurrent clients over loopback HTTP{}",
        o.sent,
        plan.concurrency,
        if plan.faults { ", with faults" } else { "" }
    );
    let _ = writeln!(
        s,
        "  answers      {} correct, {} expected errors (handler {}, factory {}, abandoned by the client {}), {} failures ({} with another client's data)",
        o.ok,
        o.expected_errors(),
        o.handler_faults,
        o.factory_faults,
        o.abandoned,
        o.failures.len(),
        o.cross_client
    );
    let _ = writeln!(
        s,
        "  throughput   {:.0} requests/s ({} requests in {:.2} s)",
        o.throughput(),
        o.sent,
        o.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "  latency      p50 {}, p99 {} (answered requests)",
        ms(o.percentile(50.0)),
        ms(o.percentile(99.0))
    );
    let _ = writeln!(
        s,
        "  connections  open {} -> {}, checked out {} -> {}",
        before.connections_open,
        after.connections_open,
        before.connections_in_use,
        after.connections_in_use
    );
    let _ = writeln!(
        s,
        "  transactions open {} -> {}; this run: begun {}, committed {}, rolled back {}, dropped without disposer {}",
        before.transactions_open,
        after.transactions_open,
        after.begun - before.begun,
        after.committed - before.committed,
        after.rolled_back - before.rolled_back,
        after.dropped_open - before.dropped_open
    );
    if !after.alive.is_empty() {
        let rows: Vec<String> = after
            .alive
            .iter()
            .map(|(name, alive, created)| {
                let was = before
                    .alive
                    .iter()
                    .find(|b| &b.0 == name)
                    .map_or(0, |b| b.1);
                format!("{name} {was} -> {alive} ({created} created)")
            })
            .collect();
        let _ = writeln!(s, "  alive        {}", rows.join(", "));
        let _ = writeln!(
            s,
            "  undisposed   {} scope(s) dropped without dispose",
            after.undisposed_scopes - before.undisposed_scopes
        );
    }
    for f in o.failures.iter().take(10) {
        let _ = writeln!(s, "  FAILURE      {f}");
    }
    if o.failures.len() > 10 {
        let _ = writeln!(
            s,
            "  ...          and {} more failures",
            o.failures.len() - 10
        );
    }
    for l in after.leaks_since(before) {
        let _ = writeln!(s, "  LEAK         {l}");
    }
    s
}
