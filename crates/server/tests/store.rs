//! One test suite, run against both storage backends (SQLite and
//! PostgreSQL), through the server's service layer: what is accepted,
//! what is refused, and that nothing is lost or reordered.
#![allow(clippy::unwrap_used)]

mod common;

use ed25519_dalek::SigningKey;
use sesame_core::clock::SystemClock;
use sesame_core::sync::proto::{
    self, CatalogRelease, CreateInvite, CreateTeam, Envelope, EraseRecord, JoinRequest, Member, Membership, OpHeader, PublishCatalog, Push, PushOutcome,
    PutKeys, RejectReason, Role, SignedDoc, WrappedKey,
};
use sesame_server::{Service, Store};
use std::sync::Arc;
use uuid::Uuid;

struct Dev {
    id: Uuid,
    key: SigningKey,
}

fn dev(n: u8) -> Dev {
    Dev { id: Uuid::new_v4(), key: SigningKey::from_bytes(&[n; 32]) }
}

fn member(d: &Dev, role: Role, added: u64) -> Member {
    Member {
        device: d.id,
        sign_pk: proto::b64(d.key.verifying_key().as_bytes()),
        age: "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
        role,
        added_in: added,
        removed_in: None,
        cutoff_dseq: None,
    }
}

fn env(team: Uuid, stream: Uuid, d: &Dev, dseq: u64, prev: u64) -> (Uuid, String) {
    let op = Uuid::new_v4();
    let h = OpHeader { team, stream, op_id: op, device: d.id, dseq, prev, key_version: 1 };
    (op, proto::b64(&Envelope::sign(h, [dseq as u8; 24], vec![7; 40], &d.key).to_bytes()))
}

fn seqs(outcomes: &[PushOutcome]) -> Vec<String> {
    outcomes
        .iter()
        .map(|o| match o {
            PushOutcome::Stored { seq } => format!("stored {seq}"),
            PushOutcome::Duplicate { seq } => format!("dup {seq}"),
            PushOutcome::Rejected { reason } => format!("{reason:?}"),
        })
        .collect()
}

async fn suite(store: Arc<dyn Store>) {
    let svc = Service::new(store.clone(), Arc::new(SystemClock));
    let (admin, bob, eve) = (dev(1), dev(2), dev(3));
    let team = Uuid::new_v4();
    let v1 = Membership { team, version: 1, prev_hash: None, signer: admin.id, members: vec![member(&admin, Role::Admin, 1)] };
    let d1 = SignedDoc::sign(&v1, &admin.key);
    svc.create_team(admin.id, &CreateTeam { team, genesis: d1.clone() }).await.unwrap();
    assert_eq!(svc.create_team(admin.id, &CreateTeam { team, genesis: d1.clone() }).await.unwrap_err().code, "conflict");
    // A genesis signed by someone else than its creator: refused.
    let t2 = Uuid::new_v4();
    let forged = SignedDoc::sign(&Membership { team: t2, ..v1.clone() }, &eve.key);
    assert_eq!(svc.create_team(admin.id, &CreateTeam { team: t2, genesis: forged }).await.unwrap_err().code, "malformed");

    // Invitations: one use, right token, not expired.
    let token = [9u8; 32];
    let inv = Uuid::new_v4();
    let hash = proto::sha256_hex(&token);
    assert_eq!(svc.create_invite(team, bob.id, &CreateInvite { invite: inv, token_hash: hash.clone(), expires_ms: u64::MAX / 2 }).await.unwrap_err().code, "not_member");
    svc.create_invite(team, admin.id, &CreateInvite { invite: inv, token_hash: hash, expires_ms: u64::MAX / 2 }).await.unwrap();
    let join = |token: &[u8]| JoinRequest {
        invite: inv,
        token: proto::b64(token),
        device: bob.id,
        sign_pk: proto::b64(bob.key.verifying_key().as_bytes()),
        age: "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
        proof: proto::b64(&[0; 32]),
    };
    assert_eq!(svc.join(team, &join(&[1; 32])).await.unwrap_err().code, "invite_unknown");
    svc.join(team, &join(&token)).await.unwrap();
    assert_eq!(svc.join(team, &join(&token)).await.unwrap_err().code, "invite_gone");
    let expired = Uuid::new_v4();
    svc.create_invite(team, admin.id, &CreateInvite { invite: expired, token_hash: proto::sha256_hex(&token), expires_ms: 1 }).await.unwrap();
    assert_eq!(svc.join(team, &JoinRequest { invite: expired, ..join(&token) }).await.unwrap_err().code, "invite_gone");
    // The pending device may read the membership; only admins see requests.
    assert!(svc.membership(team, bob.id, 0).await.unwrap().pending.is_empty());
    assert_eq!(svc.membership(team, admin.id, 0).await.unwrap().pending.len(), 1);
    assert_eq!(svc.membership(team, eve.id, 0).await.unwrap_err().code, "not_member");

    // Approval: a version signed by the admin, following version 1.
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.prev_hash = Some(d1.hash().unwrap());
    v2.members.push(member(&bob, Role::Member, 2));
    let d2 = SignedDoc::sign(&v2, &admin.key);
    assert_eq!(svc.post_membership(team, bob.id, &d2).await.unwrap_err().code, "not_member");
    let by_eve = SignedDoc::sign(&Membership { signer: eve.id, ..v2.clone() }, &eve.key);
    assert!(svc.post_membership(team, admin.id, &by_eve).await.is_err());
    svc.post_membership(team, admin.id, &d2).await.unwrap();
    assert!(svc.post_membership(team, admin.id, &d2).await.is_err(), "the same version twice");
    assert_eq!(svc.membership(team, bob.id, 1).await.unwrap().docs, vec![d2.clone()]);
    assert!(svc.membership(team, admin.id, 0).await.unwrap().pending.is_empty());

    // Pushes: positions 1, 2…; retries answer the same; the chain is enforced.
    let s1 = Uuid::new_v4();
    let (_, a1) = env(team, s1, &admin, 1, 0);
    let (_, a2) = env(team, s1, &admin, 2, 1);
    let (_, b1) = env(team, s1, &bob, 1, 0);
    let r = svc.push(team, admin.id, &Push { ops: vec![a1.clone(), a2.clone()] }).await.unwrap();
    assert_eq!(seqs(&r.outcomes), ["stored 1", "stored 2"]);
    let r = svc.push(team, admin.id, &Push { ops: vec![a2.clone(), a1.clone()] }).await.unwrap();
    assert_eq!(seqs(&r.outcomes), ["dup 2", "dup 1"]);
    let (_, a4) = env(team, s1, &admin, 4, 3);
    let (_, a3_other) = env(team, s1, &admin, 2, 1);
    let mut reused = proto::unb64(&a1).unwrap();
    let n = reused.len();
    reused[n - 70] ^= 1; // same op id, other bytes (and a broken signature)
    let (_, not_mine) = env(team, s1, &bob, 5, 0);
    let (_, other_team) = env(Uuid::new_v4(), s1, &admin, 3, 2);
    let r = svc
        .push(team, admin.id, &Push { ops: vec![a4, a3_other, proto::b64(&reused), not_mine, other_team, "!!".into(), b1.clone()] })
        .await
        .unwrap();
    assert_eq!(seqs(&r.outcomes), ["OutOfOrder", "OutOfOrder", "BadSignature", "NotAuthor", "Malformed", "Malformed", "NotAuthor"]);
    let r = svc.push(team, bob.id, &Push { ops: vec![b1] }).await.unwrap();
    assert_eq!(seqs(&r.outcomes), ["stored 3"]);
    assert_eq!(svc.push(team, eve.id, &Push { ops: vec![] }).await.unwrap_err().code, "not_member");

    // Pulls: pages in team order; heads on the last page only.
    let s2 = Uuid::new_v4();
    let ops: Vec<String> = (1..=5).map(|i| env(team, s2, &bob, 1 + i, if i == 1 { 0 } else { i }).1).collect();
    let r = svc.push(team, bob.id, &Push { ops }).await.unwrap();
    assert!(r.outcomes.iter().all(|o| matches!(o, PushOutcome::Stored { .. })), "{:?}", r.outcomes);
    let p1 = svc.pull(team, bob.id, 0, 3).await.unwrap();
    assert!(p1.more && p1.heads.is_none());
    assert_eq!(p1.ops.iter().map(|o| o.gseq).collect::<Vec<_>>(), [1, 2, 3]);
    let p2 = svc.pull(team, bob.id, 3, 100).await.unwrap();
    assert!(!p2.more);
    assert_eq!(p2.ops.iter().map(|o| (o.gseq, o.seq)).collect::<Vec<_>>(), [(4, 1), (5, 2), (6, 3), (7, 4), (8, 5)]);
    let mut heads = p2.heads.unwrap();
    heads.sort_by_key(|h| h.seq);
    assert_eq!(heads.iter().map(|h| (h.stream, h.seq)).collect::<Vec<_>>(), [(s1, 3), (s2, 5)]);
    assert_eq!(svc.pull(team, eve.id, 0, 10).await.unwrap_err().code, "not_member");

    // Keys: stored, listed per recipient, missing wraps listed, no silent replacement.
    let wk = |recipient: Uuid, by: &Dev, w: &[u8]| WrappedKey::sign(team, s1, 1, recipient, 2, 2, by.id, w, &by.key);
    svc.put_keys(team, admin.id, &PutKeys { keys: vec![wk(admin.id, &admin, b"wrapped-a")] }).await.unwrap();
    let need = svc.keys(team, admin.id).await.unwrap().needed;
    assert_eq!(need.iter().map(|n| n.recipient).collect::<Vec<_>>(), [bob.id]);
    assert!(svc.put_keys(team, admin.id, &PutKeys { keys: vec![wk(bob.id, &bob, b"x")] }).await.is_err(), "signed by another");
    assert!(svc.put_keys(team, admin.id, &PutKeys { keys: vec![wk(eve.id, &admin, b"x")] }).await.is_err(), "for a non-member");
    svc.put_keys(team, admin.id, &PutKeys { keys: vec![wk(bob.id, &admin, b"wrapped-b")] }).await.unwrap();
    assert!(svc.keys(team, admin.id).await.unwrap().needed.is_empty());
    assert_eq!(svc.keys(team, bob.id).await.unwrap().keys.len(), 1);
    svc.put_keys(team, admin.id, &PutKeys { keys: vec![wk(bob.id, &admin, b"other")] }).await.unwrap();
    let kept = svc.keys(team, bob.id).await.unwrap().keys;
    assert_eq!(kept[0].wrapped_bytes().unwrap(), b"wrapped-b", "first wins, never replaced");

    // Erasure: admins only; ops and keys purged; the head keeps the order.
    let rec = EraseRecord { team, stream: s1, mv: 2, signer: admin.id };
    let order = SignedDoc::sign(&rec, &admin.key);
    let by_bob = SignedDoc::sign(&EraseRecord { signer: bob.id, ..rec.clone() }, &bob.key);
    assert_eq!(svc.erase(team, bob.id, s1, &by_bob).await.unwrap_err().code, "not_admin");
    svc.erase(team, admin.id, s1, &order).await.unwrap();
    let all = svc.pull(team, admin.id, 0, 100).await.unwrap();
    assert!(all.ops.iter().all(|o| o.stream != s1));
    let h = all.heads.unwrap().into_iter().find(|h| h.stream == s1).unwrap();
    assert_eq!((h.seq, h.erased), (3, Some(order)));
    let (_, late) = env(team, s1, &admin, 3, 2);
    assert_eq!(seqs(&svc.push(team, admin.id, &Push { ops: vec![late] }).await.unwrap().outcomes), ["Erased"]);
    assert!(svc.keys(team, bob.id).await.unwrap().keys.is_empty());
    assert_eq!(svc.put_keys(team, admin.id, &PutKeys { keys: vec![wk(bob.id, &admin, b"again")] }).await.unwrap_err().code, "erased");

    // Attachments: opaque, idempotent, members only, per stream, purged with their stream.
    let s4 = Uuid::new_v4();
    let blob = Uuid::new_v4();
    svc.put_blob(team, bob.id, s4, blob, b"ciphertext").await.unwrap();
    svc.put_blob(team, bob.id, s4, blob, b"ciphertext").await.unwrap();
    assert_eq!(svc.put_blob(team, bob.id, s4, blob, b"other").await.unwrap_err().code, "conflict");
    assert_eq!(svc.put_blob(team, bob.id, Uuid::new_v4(), blob, b"ciphertext").await.unwrap_err().code, "conflict", "same id, other stream");
    assert_eq!(svc.get_blob(team, admin.id, s4, blob).await.unwrap(), b"ciphertext");
    assert_eq!(svc.get_blob(team, admin.id, Uuid::new_v4(), blob).await.unwrap_err().code, "not_found");
    assert_eq!(svc.get_blob(team, eve.id, s4, blob).await.unwrap_err().code, "not_member");
    let big = vec![0u8; sesame_server::service::MAX_BLOB + 1];
    assert_eq!(svc.put_blob(team, bob.id, s4, Uuid::new_v4(), &big).await.unwrap_err().code, "too_large");
    let order4 = SignedDoc::sign(&EraseRecord { team, stream: s4, mv: 2, signer: admin.id }, &admin.key);
    svc.erase(team, admin.id, s4, &order4).await.unwrap();
    assert_eq!(svc.get_blob(team, admin.id, s4, blob).await.unwrap_err().code, "not_found", "purged with its stream");
    assert_eq!(svc.put_blob(team, bob.id, s4, Uuid::new_v4(), b"late").await.unwrap_err().code, "erased");

    // Catalog: admins publish, members read; signed, hash-bound, newer only, size-limited.
    assert!(svc.catalog(team, bob.id).await.unwrap().release.is_none());
    let release = |by: &Dev, version: &str, published: &str, bundle: &[u8]| {
        let rel = CatalogRelease {
            kind: proto::CATALOG_RELEASE_KIND.into(),
            team,
            version: version.into(),
            published: published.into(),
            sha256: proto::sha256_hex(bundle),
            size: bundle.len() as u64,
            mv: 2,
            signer: by.id,
        };
        PublishCatalog { release: SignedDoc::sign(&rel, &by.key), bundle: proto::b64(bundle) }
    };
    let r1 = release(&admin, "2027.1.1", "2027-01-01", b"bundle one");
    assert_eq!(svc.publish_catalog(team, bob.id, &release(&bob, "2027.1.1", "2027-01-01", b"x")).await.unwrap_err().code, "not_admin");
    let mut tampered = r1.clone();
    tampered.bundle = proto::b64(b"bundle 0ne");
    assert_eq!(svc.publish_catalog(team, admin.id, &tampered).await.unwrap_err().code, "malformed");
    svc.publish_catalog(team, admin.id, &r1).await.unwrap();
    assert_eq!(svc.catalog(team, bob.id).await.unwrap().release, Some(r1.release.clone()));
    assert_eq!(svc.catalog_bundle(team, bob.id).await.unwrap(), b"bundle one");
    assert_eq!(svc.catalog(team, eve.id).await.unwrap_err().code, "not_member");
    let older = release(&admin, "2026.12.1", "2026-12-01", b"older");
    assert_eq!(svc.publish_catalog(team, admin.id, &older).await.unwrap_err().code, "catalog_not_newer");
    assert_eq!(svc.publish_catalog(team, admin.id, &r1).await.unwrap_err().code, "catalog_not_newer", "the same edition again");
    let huge = vec![b' '; proto::MAX_CATALOG_BUNDLE + 1];
    assert_eq!(svc.publish_catalog(team, admin.id, &release(&admin, "2027.2.1", "2027-02-01", &huge)).await.unwrap_err().code, "too_large");
    let r2 = release(&admin, "2027.1.10", "2027-01-01", b"bundle two");
    svc.publish_catalog(team, admin.id, &r2).await.unwrap();
    assert_eq!(svc.catalog_bundle(team, admin.id).await.unwrap(), b"bundle two", "the latest replaces the previous");

    // Removal: the removed device is refused at the door.
    let mut v3 = v2.clone();
    v3.version = 3;
    v3.prev_hash = Some(d2.hash().unwrap());
    v3.members[1].removed_in = Some(3);
    v3.members[1].cutoff_dseq = Some(6);
    svc.post_membership(team, admin.id, &SignedDoc::sign(&v3, &admin.key)).await.unwrap();
    assert_eq!(svc.pull(team, bob.id, 0, 10).await.unwrap_err().code, "not_member");

    // Concurrent pushers: positions unique and gap-free, a pull sees them all in order.
    let s3 = Uuid::new_v4();
    let before = svc.pull(team, admin.id, 0, 10_000).await.unwrap().ops.last().map_or(0, |o| o.gseq);
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let svc = svc.clone();
        let admin_key = admin.key.clone();
        let admin_id = admin.id;
        tasks.push(tokio::spawn(async move {
            let me = Dev { id: admin_id, key: admin_key };
            let stream = Uuid::new_v4();
            for i in 0..10u64 {
                let (_, e) = env(team, stream, &me, 1 + i, i);
                let r = svc.push(team, admin_id, &Push { ops: vec![e] }).await.unwrap();
                assert!(matches!(r.outcomes[0], PushOutcome::Stored { .. }), "{w}: {:?}", r.outcomes);
            }
        }));
    }
    // Meanwhile, pull as they push: every page continues the last without a hole.
    let mut cursor = before;
    let mut seen = 0;
    while seen < 40 {
        let p = svc.pull(team, admin.id, cursor, 7).await.unwrap();
        for o in &p.ops {
            assert_eq!(o.gseq, cursor + 1, "no position skipped");
            cursor = o.gseq;
            seen += 1;
        }
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let _ = s3;
    let _ = RejectReason::IdReused;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_suite_sqlite() {
    let tmp = common::tempdir();
    let (store, _) = common::sqlite_store(tmp.path());
    suite(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_suite_sqlite_in_memory() {
    suite(sesame_server::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_suite_postgres() {
    let Some((store, url, schema)) = common::pg_store().await else { return };
    suite(store).await;
    common::drop_schema(&url, &schema).await;
}
