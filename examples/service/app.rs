//! The service: an OAuth-style client registry (register a client, issue a
//! token for it, validate a token), its request values, its handlers, the
//! container wiring (and the captive wiring `build()` rejects), and
//! starting and stopping a server.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::Json;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tenure::axum::{Inject, ScopeLayer};
use tenure::{BuildError, Container, ContainerBuilder, Injectable, Lifetime, WarmUpError};

use crate::store::{Access, ClientRecord, ClientRepo, Db, TokenRepo, TxStats, UnitOfWork};

/// The service's settings: a singleton.
#[derive(Clone, Debug)]
pub struct Config {
    /// The SQLite file (created if missing).
    pub db: PathBuf,
    pub max_connections: u32,
    /// Whether requests may ask for a fault with `X-Fault` (load mode).
    pub faults: bool,
    /// How long `X-Fault: stall` waits before giving up on being abandoned.
    pub stall_for: Duration,
}

impl Config {
    pub fn new(db: PathBuf) -> Config {
        Config {
            db,
            max_connections: 8,
            faults: false,
            stall_for: Duration::from_secs(10),
        }
    }
}

// ---------------------------------------------------------------------------
// Request values: supplied by the layer from the request's head.

/// Who is calling: the `X-Client-Id` header and the `Authorization: Bearer`
/// token, as sent (not yet checked). A request value.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub client_id: Option<String>,
    pub bearer: Option<String>,
}

impl Caller {
    /// Reads the caller from the headers; a malformed header is a `400` or
    /// a `401`, before any handler runs.
    pub fn from_headers(headers: &HeaderMap) -> Result<Caller, ApiError> {
        let client_id = match headers.get("x-client-id") {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| ApiError::BadRequest("X-Client-Id is not text"))?
                    .to_owned(),
            ),
        };
        let bearer = match headers.get(AUTHORIZATION).map(|v| v.to_str()) {
            None => None,
            Some(Ok(v)) => match v.strip_prefix("Bearer ") {
                Some(token) if !token.is_empty() => Some(token.to_owned()),
                _ => {
                    return Err(ApiError::Unauthorized(
                        "Authorization must be `Bearer <token>`",
                    ));
                }
            },
            Some(Err(_)) => return Err(ApiError::Unauthorized("Authorization is not text")),
        };
        Ok(Caller { client_id, bearer })
    }
}

impl Access {
    /// `GET` and `HEAD` read; everything else may write.
    pub fn of(method: &Method) -> Access {
        if method == Method::GET || method == Method::HEAD {
            Access::Read
        } else {
            Access::Write
        }
    }
}

/// A fault a request asks for with `X-Fault` (only when the server runs
/// with faults enabled: the load mode's `--faults`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The handler fails after writing, before committing.
    Handler,
    /// `TokenProvider`'s factory fails.
    Factory,
    /// The handler waits until the client gives up (the request future is
    /// dropped mid-request).
    Stall,
}

/// The request's fault. A request value.
#[derive(Clone, Copy, Debug)]
pub struct Faults(pub Fault);

impl Faults {
    pub fn from_headers(headers: &HeaderMap, enabled: bool) -> Result<Faults, ApiError> {
        let Some(v) = headers.get("x-fault").filter(|_| enabled) else {
            return Ok(Faults(Fault::None));
        };
        Ok(Faults(match v.as_bytes() {
            b"handler" => Fault::Handler,
            b"factory" => Fault::Factory,
            b"stall" => Fault::Stall,
            _ => return Err(ApiError::BadRequest("X-Fault is handler, factory or stall")),
        }))
    }
}

// ---------------------------------------------------------------------------
// The token provider of the original incident.

/// The signing key is unavailable: `TokenProvider`'s factory fails (the
/// injected `factory` fault).
#[derive(Debug)]
pub struct SigningKeyUnavailable;

impl fmt::Display for SigningKeyUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the token signing key is unavailable (injected fault)")
    }
}

impl std::error::Error for SigningKeyUnavailable {}

/// Issues and validates tokens for the calling client, through the
/// repositories of the request's unit of work.
///
/// It is a transient: it holds the request's repositories (and through
/// them its unit of work) and the request's caller. Registered as a
/// singleton, one instance would serve every request with the first
/// request's transaction and caller, which is the incident this project
/// started from; `build()` rejects that wiring (see [`wiring`]).
#[derive(Injectable)]
#[injectable(transient, try_constructor = Self::new)]
pub struct TokenProvider {
    clients: Arc<ClientRepo>,
    tokens: Arc<TokenRepo>,
    caller: Arc<Caller>,
}

impl TokenProvider {
    pub fn new(
        clients: Arc<ClientRepo>,
        tokens: Arc<TokenRepo>,
        caller: Arc<Caller>,
        faults: Arc<Faults>,
    ) -> Result<TokenProvider, SigningKeyUnavailable> {
        if faults.0 == Fault::Factory {
            return Err(SigningKeyUnavailable);
        }
        Ok(TokenProvider {
            clients,
            tokens,
            caller,
        })
    }

    /// Issues a token to the calling client (`X-Client-Id`), given its
    /// secret.
    pub async fn issue(&self, secret: &str) -> Result<Issued, ApiError> {
        let id = (self.caller.client_id.as_deref())
            .ok_or(ApiError::Unauthorized("X-Client-Id is required"))?;
        let client =
            (self.clients.find(id).await?).ok_or(ApiError::Unauthorized("unknown client"))?;
        if client.client_secret != secret {
            return Err(ApiError::Unauthorized("wrong client secret"));
        }
        let access_token = self.tokens.insert(id).await?;
        Ok(Issued {
            access_token,
            token_type: "Bearer".into(),
            client_id: client.client_id,
        })
    }

    /// The client the bearer token belongs to.
    pub async fn validate(&self) -> Result<ClientRecord, ApiError> {
        let token = (self.caller.bearer.as_deref())
            .ok_or(ApiError::Unauthorized("a bearer token is required"))?;
        let owner =
            (self.tokens.owner(token).await?).ok_or(ApiError::Unauthorized("invalid token"))?;
        (self.clients.find(&owner).await?).ok_or(ApiError::Unauthorized("invalid token"))
    }

    /// Every token of the client the bearer token belongs to.
    pub async fn tokens_of_caller(&self) -> Result<(ClientRecord, Vec<String>), ApiError> {
        let client = self.validate().await?;
        let tokens = self.tokens.list(&client.client_id).await?;
        Ok((client, tokens))
    }
}

// ---------------------------------------------------------------------------
// Bodies and errors.

#[derive(Debug, Serialize, Deserialize)]
pub struct NewClient {
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TokenRequest {
    pub client_secret: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Issued {
    pub access_token: String,
    pub token_type: String,
    pub client_id: String,
}

/// `GET /me`: the client of the bearer token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    pub client_id: String,
    pub name: String,
    pub tokens: usize,
}

/// `GET /me/tokens`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenList {
    pub client_id: String,
    pub tokens: Vec<String>,
}

/// What a handler answers when it fails.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(&'static str),
    Unauthorized(&'static str),
    /// The `handler` fault: after the write, before the commit.
    InjectedFault,
    /// A stalled request that nobody abandoned.
    NotAbandoned,
    /// A database error: logged, answered without details.
    Db(sqlx::Error),
    /// Any other failure: logged, answered without details.
    Internal(String),
}

/// The body of [`ApiError::InjectedFault`].
pub const INJECTED_FAULT_BODY: &str = "fault injected in the handler";

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        ApiError::Db(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m).into_response(),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m).into_response(),
            ApiError::InjectedFault => {
                (StatusCode::INTERNAL_SERVER_ERROR, INJECTED_FAULT_BODY).into_response()
            }
            ApiError::NotAbandoned => (
                StatusCode::SERVICE_UNAVAILABLE,
                "stalled, and not abandoned",
            )
                .into_response(),
            ApiError::Db(e) => {
                eprintln!("service: database error: {e}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
            ApiError::Internal(e) => {
                eprintln!("service: {e}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}

// ---------------------------------------------------------------------------
// What each endpoint does, given its services: shared by the container
// handlers below and the hand-wired baseline.

/// `POST /clients`.
pub async fn register(
    clients: &ClientRepo,
    uow: &UnitOfWork,
    new: NewClient,
) -> Result<ClientRecord, ApiError> {
    let client = clients.create(&new.name).await?;
    uow.commit().await?;
    Ok(client)
}

/// `POST /token`.
pub async fn issue(
    provider: &TokenProvider,
    uow: &UnitOfWork,
    faults: Faults,
    req: TokenRequest,
) -> Result<Issued, ApiError> {
    let issued = provider.issue(&req.client_secret).await?;
    if faults.0 == Fault::Handler {
        return Err(ApiError::InjectedFault); // the token is rolled back
    }
    uow.commit().await?;
    Ok(issued)
}

/// `GET /me`.
pub async fn me(
    provider: &TokenProvider,
    uow: &UnitOfWork,
    faults: Faults,
    stats: &TxStats,
    config: &Config,
) -> Result<Me, ApiError> {
    let (client, tokens) = provider.tokens_of_caller().await?;
    if faults.0 == Fault::Stall {
        stats.stalled.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(config.stall_for).await;
        return Err(ApiError::NotAbandoned);
    }
    uow.commit().await?;
    Ok(Me {
        client_id: client.client_id,
        name: client.name,
        tokens: tokens.len(),
    })
}

/// `GET /me/tokens`.
pub async fn my_tokens(provider: &TokenProvider, uow: &UnitOfWork) -> Result<TokenList, ApiError> {
    let (client, tokens) = provider.tokens_of_caller().await?;
    uow.commit().await?;
    Ok(TokenList {
        client_id: client.client_id,
        tokens,
    })
}

// ---------------------------------------------------------------------------
// The container wiring and its handlers.

/// The service's registrations. `token_provider` is `TokenProvider`'s
/// lifetime: `Lifetime::Transient` is the right one; `Lifetime::Singleton`
/// is the wiring of the original incident, which `build()` rejects.
pub fn wiring(config: Config, token_provider: Lifetime) -> ContainerBuilder {
    let mut b = Container::builder();
    b.instance(config)
        // The pool: opened once, asynchronously, by `warm_up_async` at startup.
        .try_singleton_async(|config: Arc<Config>| async move {
            Db::open(&config.db, config.max_connections)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("cannot open the database {}: {e}", config.db.display())
                })
        })
        .dispose_with(|db: Arc<Db>| async move {
            db.close().await;
            Ok::<_, Infallible>(())
        })
        // Request values, supplied by the layer.
        .scope_value::<Caller>()
        .scope_value::<Access>()
        .scope_value::<Faults>()
        // One unit of work per request (its transaction begins with the
        // first query): rolled back by its disposer unless the handler
        // committed.
        .scoped(|db: Arc<Db>, access: Arc<Access>| UnitOfWork::new(db, *access))
        .dispose_with(|uow: Arc<UnitOfWork>| async move { uow.finish().await })
        .add::<ClientRepo>()
        .add::<TokenRepo>()
        .add_as::<TokenProvider>(token_provider)
        .track_instances();
    b
}

/// The layer: one scope per request, with the request values from its head.
pub fn scope_layer(container: Container, faults: bool) -> ScopeLayer {
    ScopeLayer::new(container)
        .provide(|parts: &Parts| Caller::from_headers(&parts.headers))
        .provide(|parts: &Parts| Ok::<_, Infallible>(Access::of(&parts.method)))
        .provide(move |parts: &Parts| Faults::from_headers(&parts.headers, faults))
}

async fn register_handler(
    clients: Inject<ClientRepo>,
    uow: Inject<UnitOfWork>,
    Json(new): Json<NewClient>,
) -> Result<(StatusCode, Json<ClientRecord>), ApiError> {
    let client = register(&clients, &uow, new).await?;
    Ok((StatusCode::CREATED, Json(client)))
}

async fn issue_handler(
    provider: Inject<TokenProvider>,
    uow: Inject<UnitOfWork>,
    faults: Inject<Faults>,
    Json(req): Json<TokenRequest>,
) -> Result<Json<Issued>, ApiError> {
    issue(&provider, &uow, *faults, req).await.map(Json)
}

async fn me_handler(
    provider: Inject<TokenProvider>,
    uow: Inject<UnitOfWork>,
    faults: Inject<Faults>,
    db: Inject<Db>,
    config: Inject<Config>,
) -> Result<Json<Me>, ApiError> {
    me(&provider, &uow, *faults, &db.stats, &config)
        .await
        .map(Json)
}

async fn my_tokens_handler(
    provider: Inject<TokenProvider>,
    uow: Inject<UnitOfWork>,
) -> Result<Json<TokenList>, ApiError> {
    my_tokens(&provider, &uow).await.map(Json)
}

/// The routes, with the scope layer.
pub fn router(container: Container, faults: bool) -> Router {
    Router::new()
        .route("/clients", post(register_handler))
        .route("/token", post(issue_handler))
        .route("/me", get(me_handler))
        .route("/me/tokens", get(my_tokens_handler))
        .layer(scope_layer(container, faults))
}

// ---------------------------------------------------------------------------
// Starting and stopping.

/// Which wiring serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The container, with `TokenProvider` at the given lifetime.
    Container(Lifetime),
    /// The same service wired by hand ([`crate::baseline`]).
    Baseline,
}

/// Why the service did not start.
#[derive(Debug)]
pub enum StartError {
    /// `build()` rejected the wiring.
    Wiring(BuildError),
    /// A singleton could not be created at startup (the database).
    Startup(WarmUpError),
    /// The database of the baseline could not be opened.
    Database(PathBuf, sqlx::Error),
    /// The address could not be bound.
    Bind(SocketAddr, std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Wiring(e) => write!(f, "the service's wiring is invalid: {e}"),
            StartError::Startup(e) => write!(f, "the service could not start: {e:?}"),
            StartError::Database(path, e) => {
                write!(
                    f,
                    "the service could not start: cannot open the database {}: {e}",
                    path.display()
                )
            }
            StartError::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub db: Arc<Db>,
    pub container: Option<Container>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts the service on `addr` (port 0 for any free port).
pub async fn start(
    config: Config,
    addr: SocketAddr,
    variant: Variant,
) -> Result<Server, StartError> {
    let faults = config.faults;
    let (router, db, container) = match variant {
        Variant::Container(lifetime) => {
            let container = wiring(config, lifetime)
                .build()
                .map_err(StartError::Wiring)?;
            container
                .warm_up_async()
                .await
                .map_err(StartError::Startup)?;
            let db = container
                .resolve_async::<Db>()
                .await
                .expect("created by the warm-up");
            (router(container.clone(), faults), db, Some(container))
        }
        Variant::Baseline => {
            let db = Db::open(&config.db, config.max_connections)
                .await
                .map_err(|e| StartError::Database(config.db.clone(), e))?;
            let db = Arc::new(db);
            (crate::baseline::router(db.clone(), config), db, None)
        }
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind(addr, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(addr, e))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server {
        addr,
        db,
        container,
        stop,
        task,
    })
}

/// What the load mode compares before and after a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub connections_open: u32,
    pub connections_in_use: u32,
    pub transactions_open: u64,
    pub begun: u64,
    pub committed: u64,
    pub rolled_back: u64,
    pub dropped_open: u64,
    pub stalled: u64,
    /// Instances alive per service that is not a singleton (from
    /// `instance_report`), with how many were created; container only.
    pub alive: Vec<(String, usize, usize)>,
    pub undisposed_scopes: usize,
}

impl Counts {
    /// What grew from `before` to `self` that must not: checked-out
    /// connections, open transactions, transactions dropped without their
    /// disposer, live instances, undisposed scopes.
    pub fn leaks_since(&self, before: &Counts) -> Vec<String> {
        let mut out = Vec::new();
        if self.connections_in_use > before.connections_in_use {
            out.push(format!(
                "connections checked out: {} -> {}",
                before.connections_in_use, self.connections_in_use
            ));
        }
        if self.transactions_open > before.transactions_open {
            out.push(format!(
                "transactions open: {} -> {}",
                before.transactions_open, self.transactions_open
            ));
        }
        if self.dropped_open > before.dropped_open {
            out.push(format!(
                "transactions dropped without their disposer: {}",
                self.dropped_open - before.dropped_open
            ));
        }
        for (name, alive, _) in &self.alive {
            let was = (before.alive.iter().find(|b| &b.0 == name)).map_or(0, |b| b.1);
            if *alive > was {
                out.push(format!("instances of {name} alive: {was} -> {alive}"));
            }
        }
        if self.undisposed_scopes > before.undisposed_scopes {
            out.push(format!(
                "scopes dropped without dispose: {}",
                self.undisposed_scopes - before.undisposed_scopes
            ));
        }
        out
    }
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn counts(&self) -> Counts {
        let s = &self.db.stats;
        let alive = match &self.container {
            Some(c) => {
                let report = c.instance_report().expect("the wiring tracks instances");
                report
                    .rows()
                    .iter()
                    .filter(|r| r.service.lifetime() != Some(Lifetime::Singleton))
                    .map(|r| (r.service.short_name().to_owned(), r.alive, r.created))
                    .collect()
            }
            None => Vec::new(),
        };
        Counts {
            connections_open: self.db.connections_open(),
            connections_in_use: self.db.connections_in_use(),
            transactions_open: s.open(),
            begun: s.begun.load(Ordering::SeqCst),
            committed: s.committed.load(Ordering::SeqCst),
            rolled_back: s.rolled_back.load(Ordering::SeqCst),
            dropped_open: s.dropped_open.load(Ordering::SeqCst),
            stalled: s.stalled.load(Ordering::SeqCst),
            alive,
            undisposed_scopes: self.container.as_ref().map_or(0, |c| c.undisposed_scopes()),
        }
    }

    /// The counts once no connection is checked out (the connection that
    /// created the schema goes back to the pool in the background), polled
    /// for at most `within`: the baseline a run is compared with.
    pub async fn idle_counts(&self, within: Duration) -> Counts {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let now = self.counts();
            if now.connections_in_use == 0 || tokio::time::Instant::now() >= deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Polls the counts until nothing leaks compared with `before` (the
    /// background disposal of abandoned requests), for at most `within`.
    /// `Err` with the last counts if they did not settle.
    pub async fn settle(&self, before: &Counts, within: Duration) -> Result<Counts, Counts> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let now = self.counts();
            if now.leaks_since(before).is_empty() {
                return Ok(now);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(now);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops accepting, waits for open connections to finish, then shuts
    /// the container down (which closes the pool).
    pub async fn stop(self) -> Result<(), Box<dyn std::error::Error>> {
        let _ = self.stop.send(());
        self.task.await??;
        match &self.container {
            Some(c) => c.shutdown().await?,
            None => self.db.close().await,
        }
        Ok(())
    }
}
