//! The HTTP API (axum): authentication, limits, routes.
//!
//! Every request but `/v1/health` carries `authorization: Sesame
//! device=…,time=…,sig=…`, an ed25519 signature over the method, the path
//! and query, the time and the body's SHA-256. The time must be within five
//! minutes of the server's (clients sign in server time, read from
//! `/v1/health`). Each device has a token bucket: `rate` requests per
//! second, bursts of `burst`.
//!
//! Logs are structured (`tracing`) and carry team, device and stream ids
//! (random UUIDs), counts and outcomes — never a payload.

use crate::service::{ApiError, MALFORMED, RATE_LIMITED, Service, TOO_LARGE, UNAUTHORIZED};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sesame_core::sync::proto::{self, CreateInvite, CreateTeam, ErrorBody, JoinRequest, PublishCatalog, Push, PutKeys, SignedDoc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use uuid::Uuid;

/// How far a request's time may be from the server's.
pub const MAX_REQUEST_SKEW_MS: u64 = 5 * 60 * 1000;
/// The largest JSON request (a push of up to 1,000 ops).
pub const MAX_JSON_BODY: usize = 8 * 1024 * 1024;

/// Per-device request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sustained requests per second per device.
    pub rate: f64,
    /// Burst size.
    pub burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { rate: 20.0, burst: 200.0 }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Shared state of the HTTP layer.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    limits: Limits,
    buckets: Arc<Mutex<HashMap<Uuid, Bucket>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(service: Service, limits: Limits) -> Self {
        AppState { service, limits, buckets: Arc::new(Mutex::new(HashMap::new())) }
    }

    fn allow(&self, device: Uuid) -> bool {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() > 100_000 {
            // Forget idle devices rather than grow without bound.
            b.retain(|_, v| v.at.elapsed().as_secs() < 60);
        }
        let now = Instant::now();
        let e = b.entry(device).or_insert(Bucket { tokens: self.limits.burst, at: now });
        let refill = now.duration_since(e.at).as_secs_f64() * self.limits.rate;
        e.tokens = (e.tokens + refill).min(self.limits.burst);
        e.at = now;
        if e.tokens >= 1.0 {
            e.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(ErrorBody { code: self.code.into(), message: self.message.into() })).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: Serialize>(v: &T) -> ApiResult {
    Ok(axum::Json(v).into_response())
}

fn empty() -> ApiResult {
    Ok(axum::Json(serde_json::json!({})).into_response())
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_JSON_BODY {
        return Err(TOO_LARGE);
    }
    serde_json::from_slice(body).map_err(|_| MALFORMED)
}

/// The request as signed: method, path and query, body.
struct Signed<'a> {
    method: &'a Method,
    uri: &'a axum::http::Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Signed<'_> {
    /// Checks the signature with `key`; returns the device id claimed.
    fn parts(&self, state: &AppState) -> Result<(Uuid, u64, ed25519_dalek::Signature), ApiError> {
        let h = self.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or(UNAUTHORIZED)?;
        let (device, time, sig) = proto::parse_authorization(h).ok_or(UNAUTHORIZED)?;
        if !state.allow(device) {
            tracing::warn!(device = %device, "rate limited");
            return Err(RATE_LIMITED);
        }
        if time.abs_diff(state.service.now_ms()) > MAX_REQUEST_SKEW_MS {
            tracing::warn!(device = %device, "request time too far from server time");
            return Err(UNAUTHORIZED);
        }
        Ok((device, time, sig))
    }

    fn check(&self, key: &[u8; 32], time: u64, sig: &ed25519_dalek::Signature) -> Result<(), ApiError> {
        let vk = ed25519_dalek::VerifyingKey::from_bytes(key).map_err(|_| UNAUTHORIZED)?;
        let pq = self.uri.path_and_query().map_or(self.uri.path(), |p| p.as_str());
        if proto::verify_request(&vk, sig, self.method.as_str(), pq, time, self.body) { Ok(()) } else { Err(UNAUTHORIZED) }
    }

    /// Authenticates an active member of `team`.
    async fn member(&self, state: &AppState, team: Uuid) -> Result<Uuid, ApiError> {
        let (device, time, sig) = self.parts(state)?;
        let row = state.service.store.device(team, device).await?;
        let Some(row) = row else {
            tracing::warn!(team = %team, device = %device, "request from a non-member");
            return Err(crate::service::NOT_MEMBER);
        };
        self.check(&row.sign_pk, time, &sig)?;
        Ok(device)
    }

    /// Authenticates against a key carried in the request itself (team
    /// creation, join requests), or a pending device's own registered key.
    fn with_key(&self, state: &AppState, expect: Uuid, key_b64: &str) -> Result<(), ApiError> {
        let (device, time, sig) = self.parts(state)?;
        if device != expect {
            return Err(UNAUTHORIZED);
        }
        let key: [u8; 32] = proto::unb64(key_b64).and_then(|k| k.try_into().ok()).ok_or(MALFORMED)?;
        self.check(&key, time, &sig)
    }
}

macro_rules! signed {
    ($m:expr, $u:expr, $h:expr, $b:expr) => {
        Signed { method: &$m, uri: &$u, headers: &$h, body: &$b }
    };
}

async fn health(State(s): State<AppState>) -> ApiResult {
    ok(&s.service.health())
}

async fn create_team(State(s): State<AppState>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let req: CreateTeam = parse(&body)?;
    let genesis: proto::Membership = req.genesis.decode().map_err(|_| MALFORMED)?;
    let creator = genesis.members.first().ok_or(MALFORMED)?;
    signed!(m, u, h, body).with_key(&s, creator.device, &creator.sign_pk)?;
    s.service.create_team(creator.device, &req).await?;
    empty()
}

#[derive(serde::Deserialize)]
struct Since {
    since: Option<u64>,
    limit: Option<u32>,
}

async fn membership(
    State(s): State<AppState>,
    Path(team): Path<Uuid>,
    q: axum::extract::Query<Since>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let sig = signed!(m, u, h, body);
    // Members sign with their listed key; a device waiting for approval
    // with the key of its join request.
    let (device, time, signature) = sig.parts(&s)?;
    let key = match s.service.store.device(team, device).await? {
        Some(row) => row.sign_pk,
        None => {
            let reqs = s.service.store.join_requests(team).await?;
            let r = reqs.iter().find(|r| r.device == device).ok_or(crate::service::NOT_MEMBER)?;
            proto::unb64(&r.sign_pk).and_then(|k| k.try_into().ok()).ok_or(MALFORMED)?
        }
    };
    sig.check(&key, time, &signature)?;
    ok(&s.service.membership(team, device, q.since.unwrap_or(0)).await?)
}

async fn post_membership(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let doc: SignedDoc = parse(&body)?;
    s.service.post_membership(team, device, &doc).await?;
    empty()
}

async fn invites(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let req: CreateInvite = parse(&body)?;
    s.service.create_invite(team, device, &req).await?;
    empty()
}

async fn join(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let req: JoinRequest = parse(&body)?;
    signed!(m, u, h, body).with_key(&s, req.device, &req.sign_pk)?;
    s.service.join(team, &req).await?;
    empty()
}

async fn get_keys(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    ok(&s.service.keys(team, device).await?)
}

async fn put_keys(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let req: PutKeys = parse(&body)?;
    s.service.put_keys(team, device, &req).await?;
    empty()
}

async fn push(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let req: Push = parse(&body)?;
    ok(&s.service.push(team, device, &req).await?)
}

async fn pull(
    State(s): State<AppState>,
    Path(team): Path<Uuid>,
    q: axum::extract::Query<Since>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    ok(&s.service.pull(team, device, q.since.unwrap_or(0), q.limit.unwrap_or(1000)).await?)
}

async fn erase(
    State(s): State<AppState>,
    Path((team, stream)): Path<(Uuid, Uuid)>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let doc: SignedDoc = parse(&body)?;
    s.service.erase(team, device, stream, &doc).await?;
    empty()
}

async fn put_blob(
    State(s): State<AppState>,
    Path((team, stream, id)): Path<(Uuid, Uuid, Uuid)>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    s.service.put_blob(team, device, stream, id, &body).await?;
    empty()
}

async fn get_blob(
    State(s): State<AppState>,
    Path((team, stream, id)): Path<(Uuid, Uuid, Uuid)>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let bytes = s.service.get_blob(team, device, stream, id).await?;
    Ok(([("content-type", "application/octet-stream")], bytes).into_response())
}

async fn delete_blob(
    State(s): State<AppState>,
    Path((team, stream, id)): Path<(Uuid, Uuid, Uuid)>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    s.service.delete_blob(team, device, stream, id).await?;
    empty()
}

async fn get_catalog(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    ok(&s.service.catalog(team, device).await?)
}

async fn put_catalog(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let req: PublishCatalog = parse(&body)?;
    s.service.publish_catalog(team, device, &req).await?;
    empty()
}

async fn get_catalog_bundle(State(s): State<AppState>, Path(team): Path<Uuid>, m: Method, u: Uri, h: HeaderMap, body: Bytes) -> ApiResult {
    let device = signed!(m, u, h, body).member(&s, team).await?;
    let bytes = s.service.catalog_bundle(team, device).await?;
    Ok(([("content-type", "application/octet-stream")], bytes).into_response())
}

/// The router, with body limits and request tracing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/teams", post(create_team))
        .route("/v1/teams/{team}/membership", get(membership).post(post_membership))
        .route("/v1/teams/{team}/invites", post(invites))
        .route("/v1/teams/{team}/join", post(join))
        .route("/v1/teams/{team}/keys", get(get_keys).post(put_keys))
        .route("/v1/teams/{team}/ops", get(pull).post(push))
        .route("/v1/teams/{team}/streams/{stream}/erase", post(erase))
        .route("/v1/teams/{team}/streams/{stream}/blobs/{id}", get(get_blob).put(put_blob).delete(delete_blob))
        .route("/v1/teams/{team}/catalog", get(get_catalog).put(put_catalog))
        .route("/v1/teams/{team}/catalog/bundle", get(get_catalog_bundle))
        .layer(DefaultBodyLimit::max(crate::service::MAX_BLOB + 1024))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
