//! `aud serve`: the web UI and its read-only JSON API over HTTP (axum on tokio).
//!
//! - [`api`]: the endpoints, each reading the databases read-only in `spawn_blocking`;
//! - [`assets`]: the UI's files, embedded at build time, looked up by exact path;
//! - [`files`]: reading a repository file named by a database row without leaving the root.
//!
//! The server never writes: not a database, not a file. Bound to a loopback address (the
//! default), it answers only requests whose `Host` is that address or `localhost`, so a web page
//! elsewhere cannot reach it through DNS rebinding.

pub mod api;
pub mod assets;
pub mod files;

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context as _;
use aud_core::api::ApiError;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::uri::Authority;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::root::Context;
use api::Failure;
use assets::{Served, Table};

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The repository root (canonical) and its `.pf/` files.
    pub ctx: Context,
    /// The UI's files.
    pub assets: Table,
}

/// Which `Host` headers are answered.
#[derive(Debug, Clone)]
pub struct HostGuard {
    /// Host names answered (lowercase, IPv6 in brackets); `None` answers any (the server was
    /// bound to a non-loopback address on request).
    allowed: Option<Arc<Vec<String>>>,
}

impl HostGuard {
    /// The guard for a server bound to `ip`: loopback addresses answer only `localhost`, the
    /// loopback addresses and `ip` itself.
    pub fn for_address(ip: IpAddr) -> HostGuard {
        if !ip.is_loopback() {
            return HostGuard { allowed: None };
        }
        let bound = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        let mut allowed: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        if !allowed.contains(&bound) {
            allowed.push(bound);
        }
        HostGuard {
            allowed: Some(Arc::new(allowed)),
        }
    }

    /// Whether a request with this `Host` header value is answered.
    pub fn admits(&self, host: Option<&str>) -> bool {
        let Some(allowed) = &self.allowed else {
            return true;
        };
        let Some(authority) = host
            .filter(|h| !h.contains('@'))
            .and_then(|h| h.parse::<Authority>().ok())
        else {
            return false;
        };
        let name = authority.host().trim_end_matches('.').to_ascii_lowercase();
        allowed.contains(&name)
    }
}

/// The whole application: the API under `/api`, the UI everywhere else.
pub fn router(state: Arc<AppState>, guard: HostGuard) -> Router {
    let api = Router::new()
        .route("/plans", get(plans))
        .route("/plans/{id}", get(plan))
        .route("/plans/{id}/tasks/{n}", get(task))
        .route("/plans/{id}/checkpoints/{cid}", get(checkpoint))
        .route("/index", get(index))
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(read_only);
    Router::new()
        .nest("/api", api)
        .fallback(ui)
        .with_state(state)
        .layer(middleware::from_fn_with_state(guard, check_host))
        .layer(middleware::from_fn(no_sniff))
}

/// A JSON response.
fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                // The data changes whenever the CLI writes: never reuse an answer.
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the response: {e}"),
        )
            .into_response(),
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json(
            self.status,
            &ApiError {
                error: self.message,
            },
        )
    }
}

/// Runs `read` on the blocking pool (SQLite and file reads block) and answers its result.
async fn respond<T, F>(state: Arc<AppState>, read: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&Context) -> api::Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(move || read(&state.ctx)).await {
        Ok(Ok(body)) => json(StatusCode::OK, &body),
        Ok(Err(failure)) => failure.into_response(),
        Err(e) => Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("the request failed: {e}"),
        }
        .into_response(),
    }
}

/// The path parameters, or 400 when they are not text.
fn params<T>(path: std::result::Result<Path<T>, PathRejection>) -> api::Result<T> {
    path.map(|Path(p)| p)
        .map_err(|e| Failure::bad_request(e.body_text()))
}

async fn plans(State(state): State<Arc<AppState>>) -> Response {
    respond(state, api::plan_list).await
}

async fn plan(
    State(state): State<Arc<AppState>>,
    path: std::result::Result<Path<String>, PathRejection>,
) -> Response {
    match params(path).and_then(|id| api::parse_plan_id(&id)) {
        Ok(id) => respond(state, move |ctx| api::plan_detail(ctx, id)).await,
        Err(failure) => failure.into_response(),
    }
}

async fn task(
    State(state): State<Arc<AppState>>,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (plan, task) = (api::parse_plan_id, api::parse_task_number);
    two_ids(state, path, plan, task, api::task_detail).await
}

async fn checkpoint(
    State(state): State<Arc<AppState>>,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (plan, checkpoint) = (api::parse_plan_id, api::parse_checkpoint_id);
    two_ids(state, path, plan, checkpoint, api::checkpoint_diff).await
}

/// Answers `read(ctx, a, b)` for a route with two ids, parsed by `first` and `second` (400
/// when either is malformed).
async fn two_ids<A, B, T>(
    state: Arc<AppState>,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
    first: fn(&str) -> api::Result<A>,
    second: fn(&str) -> api::Result<B>,
    read: fn(&Context, A, B) -> api::Result<T>,
) -> Response
where
    A: Send + 'static,
    B: Send + 'static,
    T: Serialize + Send + 'static,
{
    match params(path).and_then(|(a, b)| Ok((first(&a)?, second(&b)?))) {
        Ok((a, b)) => respond(state, move |ctx| read(ctx, a, b)).await,
        Err(failure) => failure.into_response(),
    }
}

async fn index(State(state): State<Arc<AppState>>) -> Response {
    respond(state, api::index_summary).await
}

async fn unknown_endpoint(request: Request) -> Response {
    Failure::not_found(format!("no such endpoint: {}", request.uri().path())).into_response()
}

async fn read_only() -> Response {
    Failure {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "the API is read-only: only GET is served".to_owned(),
    }
    .into_response()
}

/// Everything outside `/api`: the UI's files and pages.
async fn ui(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "only GET is served\n").into_response();
    }
    match assets::resolve(state.assets, request.uri().path()) {
        Served::File(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, asset.cache_control),
            ],
            asset.body,
        )
            .into_response(),
        Served::NoUi => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            assets::NO_UI_PAGE,
        )
            .into_response(),
        Served::NotFound => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response(),
    }
}

/// Refuses requests for another host name (DNS rebinding) with 403.
async fn check_host(State(guard): State<HostGuard>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if guard.admits(host) {
        return next.run(request).await;
    }
    Failure {
        status: StatusCode::FORBIDDEN,
        message: format!(
            "aud serve answers only requests for localhost or its own address, not for host {}",
            host.unwrap_or("(none)")
        ),
    }
    .into_response()
}

/// Tells browsers to trust the declared content types.
async fn no_sniff(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A server ready to run: its runtime, its socket and its signal handlers, all set up before the
/// address is printed, so that a SIGTERM sent as soon as the address is read stops it cleanly.
pub struct Prepared {
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    stop: Stop,
}

impl Prepared {
    /// Sets up the runtime, the socket and the handlers of Ctrl-C and SIGTERM.
    pub fn new(listener: std::net::TcpListener) -> anyhow::Result<Prepared> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the server's runtime")?;
        let _inside = runtime.enter();
        listener
            .set_nonblocking(true)
            .context("cannot set up the listening socket")?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .context("cannot set up the listening socket")?;
        let stop = Stop::install().context("cannot handle Ctrl-C and SIGTERM")?;
        Ok(Prepared {
            runtime,
            listener,
            stop,
        })
    }

    /// Serves `state` until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub fn run(self, state: AppState, guard: HostGuard) -> anyhow::Result<()> {
        let Prepared {
            runtime,
            listener,
            stop,
        } = self;
        let app = router(Arc::new(state), guard);
        runtime.block_on(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.wait())
                .await
                .context("the server stopped")
        })
    }
}

/// The signals that stop the server, registered when installed.
#[cfg(unix)]
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Stop {
    /// Registers the handlers (inside the runtime).
    fn install() -> std::io::Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Stop {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves on Ctrl-C or SIGTERM.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// The signals that stop the server: Ctrl-C.
#[cfg(not(unix))]
struct Stop;

#[cfg(not(unix))]
impl Stop {
    fn install() -> std::io::Result<Stop> {
        Ok(Stop)
    }

    async fn wait(self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn a_loopback_server_answers_only_local_host_names() {
        let guard = HostGuard::for_address("127.0.0.1".parse().unwrap());
        for ok in [
            "127.0.0.1:8717",
            "localhost:8717",
            "LOCALHOST",
            "localhost.",
            "[::1]:8717",
        ] {
            assert!(guard.admits(Some(ok)), "{ok}");
        }
        for refused in [
            None,
            Some(""),
            Some("evil.example:8717"),
            Some("localhost.evil.example"),
            Some("127.0.0.1.nip.io:8717"),
            Some("user@localhost"),
        ] {
            assert!(!guard.admits(refused), "{refused:?}");
        }
        let v6 = HostGuard::for_address("::1".parse().unwrap());
        assert!(v6.admits(Some("[::1]:9000")));
        let open = HostGuard::for_address("0.0.0.0".parse().unwrap());
        assert!(open.admits(Some("anything.example")));
        assert!(open.admits(None));
    }
}
