//! Commands for teams and sync: `sesame team …`, `sesame sync …`, and
//! `sesame serve` (the association's server).

use crate::vault_cmd::{options, passphrase, print_json, vault_dir};
use crate::{Cli, Command, SyncAction, TeamAction};
use anyhow::{Context, Result, bail};
use sesame_core::domain::Id;
use sesame_core::sync::{self, HttpRemote, proto::Role, team};
use sesame_core::vault::Vault;
use std::time::Duration;

pub fn run(cli: Cli) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("Impossible de démarrer / Cannot start (tokio)")?;
    rt.block_on(run_async(cli))
}

async fn run_async(cli: Cli) -> Result<()> {
    let json = cli.json;
    if let Command::Serve { listen, db, rate, burst, log_json } = cli.command {
        return serve(&listen, &db, rate, burst, log_json).await;
    }
    let dir = vault_dir(cli.vault)?;
    let catalog = std::sync::Arc::new(sync::catalog::load_for_vault(&dir, cli.catalog.as_deref())?);
    let mut v = Vault::unlock(&dir, &passphrase()?, options(&catalog))?;
    match cli.command {
        Command::Team { action } => team(&mut v, action, json).await,
        Command::Sync { action, watch } => sync_cmd(&mut v, action, watch, json).await,
        _ => Ok(()),
    }
}

fn remote(v: &Vault) -> Result<HttpRemote> {
    Ok(HttpRemote::for_team(v)?)
}

async fn team(v: &mut Vault, action: TeamAction, json: bool) -> Result<()> {
    match action {
        TeamAction::Create { server, name } => {
            let r = HttpRemote::connect(v, &server)?;
            let id = team::create(v, &r, &server, &name).await?;
            if json {
                print_json(&serde_json::json!({ "team": id, "device": v.device_id() }))
            } else {
                outln!("Équipe créée, cet appareil en est l'administrateur / Team created, this device is its administrator: {id}");
                Ok(())
            }
        }
        TeamAction::Invite => {
            let code = team::invite(v, &remote(v)?).await?;
            if json {
                return print_json(&serde_json::json!({ "code": code }));
            }
            outln!("# Code d'invitation, valable 7 jours et une seule fois / Invitation code, valid once for 7 days:");
            outln!("{code}");
            Ok(())
        }
        TeamAction::Join { code } => {
            let url = team::invite_server(&code)?;
            let r = HttpRemote::connect(v, &url)?;
            let fp = team::join(v, &r, &code).await?;
            if json {
                return print_json(&serde_json::json!({ "device": v.device_id(), "fingerprint": fp }));
            }
            outln!(
                "Demande envoyée. Donnez à l'administrateur l'identifiant {} et l'empreinte {fp}. \
                 / Request sent. Give the administrator the id {} and the fingerprint {fp}.",
                v.device_id(),
                v.device_id()
            );
            Ok(())
        }
        TeamAction::Approve { device, admin } => {
            let role = if admin { Role::Admin } else { Role::Member };
            let id = team::approve(v, &remote(v)?, &device, role).await?;
            if json {
                return print_json(&serde_json::json!({ "approved": id }));
            }
            outln!("Appareil approuvé / Device approved: {id}");
            Ok(())
        }
        TeamAction::Remove { device } => {
            let id = team::remove(v, &remote(v)?, &device).await?;
            if json {
                return print_json(&serde_json::json!({ "removed": id }));
            }
            outln!("Appareil retiré, clés renouvelées / Device removed, keys renewed: {id}");
            Ok(())
        }
        TeamAction::List { offline } => {
            let view = if offline {
                team::list::<HttpRemote>(v, None).await?
            } else {
                let r = remote(v)?;
                team::list(v, Some(&r)).await?
            };
            if json {
                return print_json(&view);
            }
            outln!("{} ({}) — {}", view.name, view.team, view.server);
            for m in &view.members {
                let state = if m.active { "" } else { " (retiré / removed)" };
                let me = if m.this_device { " ← cet appareil / this device" } else { "" };
                outln!("  {}  {:?}  {}{state}{me}", m.device, m.role, m.fingerprint);
            }
            for p in &view.pending {
                let ok = if p.proof_ok { "ok" } else { "PREUVE INVALIDE / BAD PROOF" };
                outln!("  en attente / pending: {}  {}  {ok}", p.device, p.fingerprint);
            }
            Ok(())
        }
        TeamAction::Erase { applicant_id, yes } => {
            if !yes {
                bail!(
                    "L'effacement est définitif, sur tous les appareils : relancez avec --yes pour confirmer. \
                     / Erasure is final, on every device: run again with --yes to confirm."
                );
            }
            let id: Id = applicant_id.parse()?;
            let r = HttpRemote::for_team(v).ok();
            team::erase_applicant(v, r.as_ref(), id).await?;
            outln!("Dossier effacé / File erased: {id}");
            Ok(())
        }
        TeamAction::PublishCatalog { dir } => {
            let done = sync::catalog::publish(v, &remote(v)?, &dir).await?;
            if json {
                return print_json(&done);
            }
            outln!(
                "Catalogue publié (édition {}, {}) : les appareils l'adopteront à leur prochaine synchronisation. \
                 / Catalog published (edition {}, {}): devices adopt it at their next sync.",
                done.version,
                done.published,
                done.version,
                done.published
            );
            Ok(())
        }
    }
}

async fn sync_cmd(v: &mut Vault, action: Option<SyncAction>, watch: bool, json: bool) -> Result<()> {
    match action {
        Some(SyncAction::Status) => {
            let s = sync::status(v)?;
            if json {
                return print_json(&s);
            }
            outln!("équipe / team: {}", s.team.map(|t| t.to_string()).unwrap_or_else(|| "—".into()));
            outln!("en attente d'envoi / pending: {}", s.pending_ops);
            outln!("en attente d'application / held: {}", s.held_ops);
            outln!("conflits / conflicts: {}", s.conflicts);
            outln!("dernière synchro / last sync: {}", s.last_sync_ms.map(|m| m.to_string()).unwrap_or_else(|| "—".into()));
            if let Some(e) = s.last_error {
                outln!("dernière erreur / last error: {e}");
            }
            if let Some(c) = &s.catalog {
                outln!("catalogue de l'équipe / team catalog: {} ({})", c.version, c.published);
            }
            for a in s.alerts.iter().take(5) {
                outln!("  ! {} {}", a.code, a.detail);
            }
            Ok(())
        }
        Some(SyncAction::Conflicts) => {
            let c = v.conflicts()?;
            if json {
                return print_json(&c);
            }
            for x in c {
                outln!("{} {} {}", x.entity.as_str(), x.entity_id, x.field);
                for cand in x.candidates {
                    outln!("    {}  {}  {}", cand.op_id, cand.device_id, cand.value);
                }
            }
            Ok(())
        }
        Some(SyncAction::Resolve { entity_id, field, value, pick }) => {
            let id: Id = entity_id.parse()?;
            let chosen = match (value, pick) {
                (Some(v), None) => serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v)),
                (None, Some(op)) => v
                    .conflicts()?
                    .into_iter()
                    .filter(|c| c.entity_id == id && c.field == field)
                    .flat_map(|c| c.candidates)
                    .find(|c| c.op_id.to_string().starts_with(&op))
                    .map(|c| c.value)
                    .context("Aucune valeur en conflit ne porte cet identifiant / No conflicting value has this id")?,
                _ => bail!("Indiquez --value JSON ou --pick OP_ID / Give --value JSON or --pick OP_ID"),
            };
            v.resolve_conflict(id, &field, chosen)?;
            outln!("Conflit résolu / Conflict resolved.");
            Ok(())
        }
        None => {
            let r = remote(v)?;
            if !watch {
                let rep = sync::sync_once(v, &r).await?;
                if json {
                    return print_json(&rep);
                }
                outln!(
                    "reçues / pulled: {}, envoyées / pushed: {}, en attente / held: {}, refusées / refused: {}, conflits / conflicts: {}",
                    rep.pulled, rep.pushed, rep.held, rep.refused, rep.conflicts
                );
                return Ok(());
            }
            // Background mode: a round every 30 s, backing off while the
            // server is unreachable; stops on an error a person must handle.
            let mut backoff = sync::Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
            loop {
                let wait = match sync::sync_once(v, &r).await {
                    Ok(rep) => {
                        backoff.succeeded();
                        if rep.pulled + rep.pushed > 0 {
                            outln!("pulled {} pushed {} conflicts {}", rep.pulled, rep.pushed, rep.conflicts);
                        }
                        Duration::from_secs(30)
                    }
                    Err(e) if e.is_transient() => {
                        let d = backoff.failed();
                        eprintln!("{e} — nouvel essai dans {} s / retrying in {} s", d.as_secs(), d.as_secs());
                        d
                    }
                    Err(e) => return Err(e.into()),
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                }
            }
        }
    }
}

async fn serve(listen: &str, db: &str, rate: f64, burst: f64, log_json: bool) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if log_json {
        tracing_subscriber::fmt().with_env_filter(filter).json().with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    let bound = sesame_server::bind(listen, db, sesame_server::Limits { rate, burst }).await?;
    let addr = bound.local_addr().context("no local address")?;
    outln!("Serveur Sésame à l'écoute / Sésame server listening on http://{addr}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, "listening");
    bound
        .serve(async {
            #[cfg(unix)]
            {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                        return;
                    }
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        })
        .await
        .context("Le serveur s'est arrêté sur une erreur / The server stopped on an error")?;
    Ok(())
}
