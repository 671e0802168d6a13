//! The same service wired by hand, without the container: each handler
//! reads the request values from the headers, begins the unit of work,
//! builds the repositories and the token provider, runs the same endpoint
//! code as the container's handlers, and finishes the unit of work, also
//! when the request future is dropped (a guard spawns the rollback). The
//! load mode measures it next to the container wiring to show what the
//! container costs per request.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Json, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use crate::app::{
    self, ApiError, Caller, Config, Faults, Issued, Me, NewClient, TokenList, TokenProvider,
    TokenRequest,
};
use crate::store::{Access, ClientRecord, ClientRepo, Db, TokenRepo, UnitOfWork};

struct Shared {
    db: Arc<Db>,
    config: Config,
}

/// The routes of [`app::router`], wired by hand.
pub fn router(db: Arc<Db>, config: Config) -> Router {
    Router::new()
        .route("/clients", post(register_handler))
        .route("/token", post(issue_handler))
        .route("/me", get(me_handler))
        .route("/me/tokens", get(my_tokens_handler))
        .with_state(Arc::new(Shared { db, config }))
}

/// A request's unit of work, finished (rolled back unless committed) by
/// [`finish`](Unit::finish), or on the runtime if the request is dropped.
struct Unit(Option<Arc<UnitOfWork>>);

impl Unit {
    fn new(db: &Arc<Db>, access: Access) -> Unit {
        Unit(Some(Arc::new(UnitOfWork::new(db.clone(), access))))
    }

    fn uow(&self) -> &Arc<UnitOfWork> {
        self.0.as_ref().expect("finished only by finish(self)")
    }

    async fn finish(mut self) {
        let Some(uow) = self.0.take() else {
            return;
        };
        if let Err(e) = uow.finish().await {
            eprintln!("service (baseline): rollback failed: {e}");
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if let (Some(uow), Ok(rt)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                if let Err(e) = uow.finish().await {
                    eprintln!("service (baseline): rollback failed: {e}");
                }
            });
        }
    }
}

/// The token provider of this request, built by hand.
fn provider(unit: &Unit, caller: Caller, faults: Faults) -> Result<TokenProvider, ApiError> {
    TokenProvider::new(
        Arc::new(ClientRepo::new(unit.uow().clone())),
        Arc::new(TokenRepo::new(unit.uow().clone())),
        Arc::new(caller),
        Arc::new(faults),
    )
    .map_err(|e| ApiError::Internal(e.to_string()))
}

async fn register_handler(
    State(s): State<Arc<Shared>>,
    Json(new): Json<NewClient>,
) -> Result<(StatusCode, Json<ClientRecord>), ApiError> {
    let unit = Unit::new(&s.db, Access::Write);
    let out = app::register(&ClientRepo::new(unit.uow().clone()), unit.uow(), new).await;
    unit.finish().await;
    Ok((StatusCode::CREATED, Json(out?)))
}

async fn issue_handler(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(req): Json<TokenRequest>,
) -> Result<Json<Issued>, ApiError> {
    let caller = Caller::from_headers(&headers)?;
    let faults = Faults::from_headers(&headers, s.config.faults)?;
    let unit = Unit::new(&s.db, Access::Write);
    let out = match provider(&unit, caller, faults) {
        Ok(p) => app::issue(&p, unit.uow(), faults, req).await,
        Err(e) => Err(e),
    };
    unit.finish().await;
    out.map(Json)
}

async fn me_handler(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<Me>, ApiError> {
    let caller = Caller::from_headers(&headers)?;
    let faults = Faults::from_headers(&headers, s.config.faults)?;
    let unit = Unit::new(&s.db, Access::Read);
    let out = match provider(&unit, caller, faults) {
        Ok(p) => app::me(&p, unit.uow(), faults, &s.db.stats, &s.config).await,
        Err(e) => Err(e),
    };
    unit.finish().await;
    out.map(Json)
}

async fn my_tokens_handler(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<TokenList>, ApiError> {
    let caller = Caller::from_headers(&headers)?;
    let faults = Faults::from_headers(&headers, s.config.faults)?;
    let unit = Unit::new(&s.db, Access::Read);
    let out = match provider(&unit, caller, faults) {
        Ok(p) => app::my_tokens(&p, unit.uow()).await,
        Err(e) => Err(e),
    };
    unit.finish().await;
    out.map(Json)
}
