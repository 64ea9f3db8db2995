//! Catalog distribution: an association's admin publishes a newer catalog,
//! signed; every device of the team verifies it and uses it from then on.
//!
//! The catalog (procedures, documents, fees, legal bases) is public
//! reference data, not personal data: it travels in clear, but **signed**,
//! because a forged catalog could hide a deadline or a document. So:
//!
//! 1. `sesame team publish-catalog DIR` ([`publish`]): the admin's device
//!    loads `DIR` like `assets/catalog/`, refuses a catalog with errors,
//!    packs its files into a deterministic [`Bundle`] (sorted paths, JSON)
//!    and signs a [`CatalogRelease`] (team, edition, SHA-256 and size of the
//!    bundle) with its ed25519 key. The server checks what it can and keeps
//!    the latest.
//! 2. Each sync round ([`refresh`]) reads the small release; only a release
//!    worth adopting makes the device download the bundle. It is adopted
//!    only if: signed by an **admin of the team's signed membership list**
//!    (the server cannot sign one), the bundle's hash and size match, the
//!    edition in the bundle is the signed one, it loads and `Catalog::check`
//!    finds no error, and it is **newer** than the catalog in use (no
//!    downgrade, so a server cannot replay an old edition). Otherwise the
//!    previous catalog stays in use and a sync alert says why.
//! 3. The adopted catalog is written next to the vault
//!    ([`DISTRIBUTED_FILE`], atomically) with its release and the signer's
//!    public key. [`load_for_vault`] — the one function the CLI and the
//!    desktop app call before unlocking — prefers it when it is newer than
//!    the shipped (or the association's) catalog and its signature and hash
//!    still hold; the association's `overrides.toml` still applies on top.
//!
//! Why next to the vault rather than inside it: the catalog is needed
//! before the vault is unlocked (the vault validates case facts against
//! it), and there is nothing secret in it.

use super::engine::{Memberships, TeamRow, alert};
use super::proto::{self, CATALOG_RELEASE_KIND, CatalogRelease, MAX_CATALOG_BUNDLE, PublishCatalog, SignedDoc};
use super::{Remote, SyncError};
use crate::catalog::{Catalog, CatalogError, OVERRIDES_FILE, Overrides, Severity, Sources};
use crate::vault::Vault;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::Path;

/// The file, next to the vault, that holds the adopted catalog.
pub const DISTRIBUTED_FILE: &str = "catalog-from-team.json";

/// The bundle format version.
const BUNDLE_FORMAT: u32 = 1;

/// A catalog's files, packed: sorted by path, so the same directory always
/// gives the same bytes (and the same hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: u32,
    pub files: Vec<BundleFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    /// Relative, `/`-separated: `catalog.toml`, `procedures/work.toml`…
    pub path: String,
    pub text: String,
}

impl Bundle {
    pub fn from_sources(sources: &Sources) -> Bundle {
        let mut files: Vec<BundleFile> = sources.files().map(|(p, t)| BundleFile { path: p.to_owned(), text: t.to_owned() }).collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Bundle { format: BUNDLE_FORMAT, files }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn parse(bytes: &[u8]) -> Option<Bundle> {
        let b: Bundle = serde_json::from_slice(bytes).ok()?;
        (b.format == BUNDLE_FORMAT).then_some(b)
    }

    pub fn sources(&self) -> Sources {
        self.files.iter().fold(Sources::new(), |s, f| s.with(f.path.clone(), f.text.clone()))
    }
}

/// What a device stores next to its vault once a release is adopted.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    release: SignedDoc,
    /// The admin's ed25519 public key (base64), checked against the
    /// membership list at adoption; kept to re-check the signature at load.
    signer_pk: String,
    /// The bundle, base64.
    bundle: String,
}

/// The catalog a team distributed, as adopted on this device.
#[derive(Debug, Clone, Serialize)]
pub struct DistributedCatalog {
    pub version: String,
    pub published: String,
    pub sha256: String,
    pub signer: uuid::Uuid,
}

/// Why a distributed catalog was refused. Each message says, in French
/// then English, what happened and that the previous catalog stays in use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogRefusal {
    #[error(
        "Le catalogue publié sur le serveur n'est pas signé par un administrateur de l'équipe : il est ignoré et le catalogue précédent reste en usage. Prévenez un administrateur. \
         / The catalog published on the server is not signed by a team administrator: it is ignored and the previous catalog stays in use. Tell an administrator."
    )]
    NotAdmin,
    #[error(
        "Le catalogue reçu ne correspond pas à sa signature (contenu modifié ou abîmé) : il est ignoré et le catalogue précédent reste en usage. Prévenez un administrateur. \
         / The catalog received does not match its signature (altered or damaged): it is ignored and the previous catalog stays in use. Tell an administrator."
    )]
    Tampered,
    #[error(
        "Le catalogue reçu (édition {offered}) n'est pas plus récent que celui en usage ({current}) : il est ignoré. \
         / The catalog received (edition {offered}) is not newer than the one in use ({current}): it is ignored."
    )]
    NotNewer { offered: String, current: String },
    #[error(
        "Le catalogue reçu (édition {0}) est invalide ou incomplet : il est ignoré et le catalogue précédent reste en usage. Un administrateur doit le corriger (`sesame catalog check`) et le republier. \
         / The catalog received (edition {0}) is invalid or incomplete: it is ignored and the previous catalog stays in use. An administrator must fix it (`sesame catalog check`) and publish it again."
    )]
    Invalid(String),
    #[error(
        "Le catalogue reçu est trop volumineux : il est ignoré et le catalogue précédent reste en usage. \
         / The catalog received is too large: it is ignored and the previous catalog stays in use."
    )]
    TooLarge,
}

impl CatalogRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAdmin => "catalog_not_admin",
            Self::Tampered => "catalog_tampered",
            Self::NotNewer { .. } => "catalog_not_newer",
            Self::Invalid(_) => "catalog_invalid",
            Self::TooLarge => "catalog_too_large",
        }
    }
}

/// The edition of a catalog as `(published, version)` strings.
fn edition(c: &Catalog) -> (String, String) {
    (c.edition().published.format("%Y-%m-%d").to_string(), c.edition().version.clone())
}

/// Checks a catalog fully: it loaded (so no load error) and `check` finds no error.
fn acceptable(sources: &Sources) -> Result<Catalog, String> {
    let c = Catalog::from_sources(sources).map_err(|e| e.to_string())?;
    if let Some(p) = c.check().into_iter().find(|p| p.severity == Severity::Error) {
        return Err(format!("{}: {}", p.file, p.message_en));
    }
    Ok(c)
}

/// The catalog to use with the vault in `vault_dir`: the one the team
/// distributed (if adopted, intact, and newer), else the association's
/// directory (`association_dir`: a full catalog and/or `overrides.toml`),
/// else the shipped one. The association's `overrides.toml` applies on top
/// of whichever is chosen. This is the one function the CLI and the
/// desktop app call to load a catalog; it needs no passphrase.
pub fn load_for_vault(vault_dir: &Path, association_dir: Option<&Path>) -> Result<Catalog, CatalogError> {
    let base = match association_dir {
        Some(dir) if dir.join("catalog.toml").is_file() => Catalog::load_dir(dir)?,
        Some(dir) if !dir.join(OVERRIDES_FILE).is_file() => {
            return Err(CatalogError::MissingFile { file: dir.join(OVERRIDES_FILE).display().to_string() });
        }
        _ => Catalog::shipped()?,
    };
    let chosen = match read_stored(vault_dir) {
        Some((_, _, c)) if newer(&c, &base) => c,
        _ => base,
    };
    match association_dir.map(|d| d.join(OVERRIDES_FILE)).filter(|p| p.is_file()) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Io { file: path.display().to_string(), source })?;
            chosen.with_overrides(Overrides::from_toml(&text, OVERRIDES_FILE)?)
        }
        None => Ok(chosen),
    }
}

fn newer(a: &Catalog, b: &Catalog) -> bool {
    let (ea, eb) = (edition(a), edition(b));
    CatalogRelease::edition_cmp((&ea.0, &ea.1), (&eb.0, &eb.1)) == std::cmp::Ordering::Greater
}

/// The adopted release next to the vault and its bundle, if the signature
/// and the hash still hold (the catalog itself is not parsed here).
fn read_release(vault_dir: &Path) -> Option<(Stored, CatalogRelease, Vec<u8>)> {
    let bytes = std::fs::read(vault_dir.join(DISTRIBUTED_FILE)).ok()?;
    let stored: Stored = serde_json::from_slice(&bytes).ok()?;
    let pk: [u8; 32] = proto::unb64(&stored.signer_pk)?.try_into().ok()?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).ok()?;
    stored.release.verify(&vk, "catalog").ok()?;
    let rel: CatalogRelease = stored.release.decode().ok()?;
    let bundle = proto::unb64(&stored.bundle)?;
    (proto::sha256_hex(&bundle) == rel.sha256).then_some((stored, rel, bundle))
}

/// The adopted catalog next to the vault, if its signature, hash and
/// contents still hold. Anything else (absent, damaged): none.
fn read_stored(vault_dir: &Path) -> Option<(Stored, CatalogRelease, Catalog)> {
    let (stored, rel, bundle) = read_release(vault_dir)?;
    let cat = Catalog::from_sources(&Bundle::parse(&bundle)?.sources()).ok()?;
    let (published, version) = edition(&cat);
    (published == rel.published && version == rel.version).then_some((stored, rel, cat))
}

/// The catalog this device adopted from its team, if any (signature and
/// hash checked; cheap enough for a status indicator).
pub fn distributed(vault_dir: &Path) -> Option<DistributedCatalog> {
    read_release(vault_dir).map(|(_, r, _)| DistributedCatalog { version: r.version, published: r.published, sha256: r.sha256, signer: r.signer })
}

/// Publishes the catalog in `dir` to the team (admins only). Refuses a
/// catalog that does not load or that `check` finds errors in, and one
/// that is not newer than what the server has (the server says so).
pub async fn publish<R: Remote>(vault: &mut Vault, remote: &R, dir: &Path) -> Result<DistributedCatalog, SyncError> {
    let team = super::engine::team_row(vault.conn_ref())?.ok_or(SyncError::NoTeam)?;
    let (ms, _) = super::engine::refresh_membership(vault, remote, &team).await?;
    if !ms.latest().is_some_and(|m| m.is_admin(vault.device_id().0)) {
        return Err(SyncError::NotAdmin);
    }
    let sources = Sources::read_dir(dir)?;
    let catalog = Catalog::from_sources(&sources)?;
    let errors: Vec<_> = catalog.check().into_iter().filter(|p| p.severity == Severity::Error).collect();
    if !errors.is_empty() {
        return Err(CatalogError::Invalid { problems: errors }.into());
    }
    let (req, rel) = sign_release(vault, &sources)?;
    remote.publish_catalog(team.team, &req).await?;
    tracing::info!(bytes = rel.size, "catalog published");
    Ok(DistributedCatalog { version: rel.version, published: rel.published, sha256: rel.sha256, signer: rel.signer })
}

/// Bundles `sources` and signs a release of it with this device's key,
/// under the latest membership version it knows. Checks nothing about the
/// catalog or the role ([`publish`] does): tests use it to play a
/// compromised server or a member posing as an admin.
pub fn sign_release(vault: &Vault, sources: &Sources) -> Result<(PublishCatalog, CatalogRelease), SyncError> {
    let team = super::engine::team_row(vault.conn_ref())?.ok_or(SyncError::NoTeam)?;
    let keys = super::engine::device_keys(vault.conn_ref())?;
    let ms = Memberships::load(vault.conn_ref())?;
    let bytes = Bundle::from_sources(sources).to_bytes();
    if bytes.len() > MAX_CATALOG_BUNDLE {
        return Err(SyncError::CatalogTooLarge);
    }
    // The edition as written in catalog.toml, read leniently: a broken
    // catalog can still be signed here (and must be refused by devices).
    #[derive(Deserialize)]
    struct Head {
        version: String,
        published: toml::value::Datetime,
    }
    let head: Option<Head> = sources.get("catalog.toml").and_then(|t| toml::from_str(t).ok());
    let (version, published) = head.map_or((String::new(), String::new()), |h| (h.version, h.published.to_string()));
    let rel = CatalogRelease {
        kind: CATALOG_RELEASE_KIND.into(),
        team: team.team,
        version,
        published,
        sha256: proto::sha256_hex(&bytes),
        size: bytes.len() as u64,
        mv: ms.latest_version(),
        signer: vault.device_id().0,
    };
    let release = SignedDoc::sign(&rel, keys.signing());
    Ok((PublishCatalog { release, bundle: proto::b64(&bytes) }, rel))
}

/// What a round did about the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogOutcome {
    /// No release on the server, or the one already adopted or already refused.
    Unchanged,
    Adopted { version: String },
    Refused(CatalogRefusal),
}

/// One round's catalog step: read the release, and adopt it if it is
/// valid and newer. Never fails the round for a bad catalog: the previous
/// one stays and an alert says why. Network errors are returned (the
/// caller ignores them: the next round tries again).
pub(crate) async fn refresh<R: Remote>(vault: &Vault, remote: &R, team: &TeamRow, ms: &Memberships) -> Result<CatalogOutcome, SyncError> {
    let Some(doc) = remote.catalog(team.team).await?.release else { return Ok(CatalogOutcome::Unchanged) };
    let release_hash = doc.hash().unwrap_or_default();
    if read_release(vault.dir()).is_some_and(|(s, _, _)| s.release == doc) {
        return Ok(CatalogOutcome::Unchanged);
    }
    // Already refused (same release): do not download it again nor repeat the alert.
    let tag = format!("release {}", &release_hash[..release_hash.len().min(16)]);
    let refused_before: Option<i64> = vault
        .conn_ref()
        .query_row("SELECT 1 FROM sync_alert WHERE code LIKE 'catalog_%' AND code <> 'catalog_adopted' AND detail LIKE ?1 LIMIT 1", [format!("%{tag}%")], |r| r.get(0))
        .ok();
    if refused_before.is_some() {
        return Ok(CatalogOutcome::Unchanged);
    }
    let current = read_stored(vault.dir());
    let verdict = check_release(vault, remote, team, ms, &doc, current.as_ref().map(|(_, _, c)| c)).await?;
    match verdict {
        Ok((stored, version)) => {
            write_atomic(&vault.dir().join(DISTRIBUTED_FILE), &serde_json::to_vec(&stored).unwrap_or_default())?;
            alert(vault.conn_ref(), vault.now_ms(), "catalog_adopted", &format!(
                "Catalogue de l'équipe adopté (édition {version}) ; il sert dès la prochaine ouverture du coffre. / Team catalog adopted (edition {version}); it is used from the next time the vault is opened. ({tag})"
            ))?;
            tracing::info!("catalog adopted");
            Ok(CatalogOutcome::Adopted { version })
        }
        Err(why) => {
            alert(vault.conn_ref(), vault.now_ms(), why.code(), &format!("{why} ({tag})"))?;
            tracing::warn!(code = why.code(), "catalog refused");
            Ok(CatalogOutcome::Refused(why))
        }
    }
}

async fn check_release<R: Remote>(
    vault: &Vault,
    remote: &R,
    team: &TeamRow,
    ms: &Memberships,
    doc: &SignedDoc,
    current: Option<&Catalog>,
) -> Result<Result<(Stored, String), CatalogRefusal>, SyncError> {
    let Ok(rel) = doc.decode::<CatalogRelease>() else { return Ok(Err(CatalogRefusal::Tampered)) };
    // Signed by an admin of the team's verified membership list, under a
    // version this device knows, who is still an active admin now.
    let latest = ms.latest().ok_or(SyncError::NoTeam)?;
    let signer = ms
        .version(rel.mv)
        .filter(|m| m.is_admin(rel.signer))
        .and_then(|m| m.active_member(rel.signer))
        .filter(|_| latest.is_admin(rel.signer))
        .and_then(|m| m.verifying_key().ok());
    let Some(vk) = signer else { return Ok(Err(CatalogRefusal::NotAdmin)) };
    if rel.kind != CATALOG_RELEASE_KIND || rel.team != team.team || doc.verify(&vk, "catalog").is_err() {
        return Ok(Err(CatalogRefusal::Tampered));
    }
    if rel.size > MAX_CATALOG_BUNDLE as u64 {
        return Ok(Err(CatalogRefusal::TooLarge));
    }
    // No downgrade: compare with the catalog in use (the adopted one, else the shipped one).
    let shipped;
    let in_use = match current {
        Some(c) => c,
        None => {
            shipped = Catalog::shipped()?;
            &shipped
        }
    };
    let (cur_pub, cur_ver) = edition(in_use);
    if !rel.is_newer_than(&cur_pub, &cur_ver) {
        return Ok(Err(CatalogRefusal::NotNewer { offered: rel.version.clone(), current: cur_ver }));
    }
    let bundle = remote.catalog_bundle(team.team).await?;
    if bundle.len() > MAX_CATALOG_BUNDLE {
        return Ok(Err(CatalogRefusal::TooLarge));
    }
    if bundle.len() as u64 != rel.size || proto::sha256_hex(&bundle) != rel.sha256 {
        return Ok(Err(CatalogRefusal::Tampered));
    }
    let Some(parsed) = Bundle::parse(&bundle) else { return Ok(Err(CatalogRefusal::Invalid(rel.version))) };
    let cat = match acceptable(&parsed.sources()) {
        Ok(c) => c,
        Err(why) => {
            tracing::debug!(why = %why, "distributed catalog invalid");
            return Ok(Err(CatalogRefusal::Invalid(rel.version)));
        }
    };
    let (published, version) = edition(&cat);
    if published != rel.published || version != rel.version {
        // The signed edition must be the one inside.
        return Ok(Err(CatalogRefusal::Tampered));
    }
    let _ = vault;
    Ok(Ok((Stored { release: doc.clone(), signer_pk: proto::b64(vk.as_bytes()), bundle: proto::b64(&bundle) }, version)))
}

/// Writes `bytes` to `path` whole or not at all: a temporary file in the
/// same folder, flushed to disk, then renamed over.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    let io = |e: std::io::Error| SyncError::Vault(crate::vault::VaultError::Io { file: path.to_owned(), source: e });
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.tmp", DISTRIBUTED_FILE));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
