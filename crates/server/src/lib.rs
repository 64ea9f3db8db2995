//! `sesame-server`: the association's sync server.
//!
//! Boring on purpose: a stateless axum service over a storage trait with
//! two backends, SQLite (one file, the default) and PostgreSQL (for a
//! federation). It stores opaque, signed, encrypted operations keyed by
//! (team, stream, position) and cannot read a name; see
//! the *Sync* section of ARCHITECTURE.md.
//!
//! - [`store`]: the [`Store`] trait; [`sqlite`] and [`pg`] implement it.
//! - [`service`]: what the server checks and does, without HTTP.
//! - [`http`]: routes, request signatures, limits.
//! - [`direct`]: an in-process client connection, for tests.

pub mod direct;
pub mod http;
pub mod pg;
pub mod service;
pub mod sqlite;
pub mod store;

pub use direct::Direct;
pub use http::{AppState, Limits, router};
pub use service::Service;
pub use store::{Store, StoreError, open};

use sesame_core::clock::{Clock, SystemClock};
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "Impossible d'ouvrir la base de données ({0}) : vérifiez l'URL (sqlite://CHEMIN ou postgres://…) et que le serveur PostgreSQL répond. \
         / Cannot open the database ({0}): check the URL (sqlite://PATH or postgres://…) and that the PostgreSQL server answers."
    )]
    Store(StoreError),
    #[error(
        "Impossible d'écouter sur {addr} ({source}) : choisissez un autre port ou arrêtez le programme qui l'occupe. \
         / Cannot listen on {addr} ({source}): choose another port or stop the program using it."
    )]
    Listen { addr: String, source: std::io::Error },
}

/// A server bound to a port, not yet serving.
#[derive(Debug)]
pub struct Bound {
    pub listener: tokio::net::TcpListener,
    pub state: AppState,
}

impl Bound {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, router(self.state)).with_graceful_shutdown(shutdown).await
    }
}

/// Opens the database named by `db_url` and binds `listen`.
pub async fn bind(listen: &str, db_url: &str, limits: Limits) -> Result<Bound, ServeError> {
    let store = open(db_url).await.map_err(ServeError::Store)?;
    bind_store(listen, store, Arc::new(SystemClock), limits).await
}

/// Binds `listen` over an already opened store.
pub async fn bind_store(listen: &str, store: Arc<dyn Store>, clock: Arc<dyn Clock>, limits: Limits) -> Result<Bound, ServeError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Listen { addr: listen.to_owned(), source })?;
    Ok(Bound { listener, state: AppState::new(Service::new(store, clock), limits) })
}
