//! Users, applications, sessions, codes and tokens.

use crate::support::*;

use chrono::{Duration, Utc};
use std::sync::Arc;
use ticketbooth_domain::model::{BrowserSession, ClientOptions, NewAccessToken, NewAuthorizationCode};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_store::{DynStore, StoreError};

pub(crate) fn token(application_id: i64, user_id: Option<i64>, code_id: Option<i64>) -> NewAccessToken {
    let now = Utc::now();
    NewAccessToken {
        access_token_hash: Secret::generate().hash(),
        refresh_token_hash: user_id.map(|_| Secret::generate().hash()),
        application_id,
        user_id,
        scopes: ScopeSet::parse("public").unwrap(),
        authorization_code_id: code_id,
        previous_token_id: None,
        family_id: None,
        created_at: now,
        expires_at: now + Duration::hours(2),
        refresh_expires_at: user_id.map(|_| now + Duration::days(30)),
        grace_salt: None,
        dpop_jkt: None,
        audience: None,
    }
}

#[tokio::test]
async fn users_are_unique_by_email_and_found_by_email_and_id() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("ann@example.com")).await.unwrap();
        assert!(matches!(store.create_user(new_user("ann@example.com")).await, Err(StoreError::Conflict(_))), "{name}");
        assert_eq!(store.find_user_by_email("ann@example.com").await.unwrap().as_ref(), Some(&user), "{name}");
        assert_eq!(store.find_user(user.id).await.unwrap().as_ref(), Some(&user), "{name}");
        assert_eq!(store.find_user(user.id + 1000).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn applications_round_trip_and_client_ids_are_unique() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("owner@example.com")).await.unwrap();
        let organizer = store.create_organizer("Org", &[user.id]).await.unwrap();
        let mut new = new_app("client-1");
        new.organizer_id = Some(organizer.id);
        let app = store.create_application(new.clone()).await.unwrap();
        let found = store.find_application_by_client_id("client-1").await.unwrap().unwrap();
        assert_eq!(found, app, "{name}");
        assert_eq!(found.redirect_uris, new.redirect_uris, "{name}");
        assert_eq!(found.scopes.to_string(), "public organizer", "{name}");
        assert_eq!(found.organizer_id, Some(organizer.id), "{name}");
        assert!(found.secret_hash.unwrap().constant_time_eq(&SecretHash::of("secret")), "{name}");
        assert!(matches!(store.create_application(new).await, Err(StoreError::Conflict(_))), "{name}");
        assert_eq!(store.find_application_by_client_id("nope").await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn sessions_expire_and_can_be_deleted() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("s@example.com")).await.unwrap();
        let now = Utc::now();
        let session = BrowserSession {
            id_hash: Secret::generate().hash(),
            user_id: Some(user.id),
            csrf_token: "csrf".into(),
            authenticated_at: Some(now),
            expires_at: now + Duration::hours(1),
            origin: Default::default(),
        };
        store.create_session(&session).await.unwrap();
        let found = store.find_session(&session.id_hash, now).await.unwrap().unwrap();
        assert_eq!(found.user_id, Some(user.id), "{name}");
        assert_eq!(found.csrf_token, "csrf", "{name}");
        assert_eq!(store.find_session(&session.id_hash, now + Duration::hours(2)).await.unwrap(), None, "{name}");
        store.delete_session(&session.id_hash).await.unwrap();
        assert_eq!(store.find_session(&session.id_hash, now).await.unwrap(), None, "{name}");
    }
}

pub(crate) async fn stored_code(store: &DynStore, app_id: i64, user_id: i64) -> (i64, SecretHash) {
    let now = Utc::now();
    let hash = Secret::generate().hash();
    store
        .create_authorization_code(NewAuthorizationCode {
            code_hash: hash,
            application_id: app_id,
            user_id,
            redirect_uri: "https://a.example/cb".into(),
            redirect_uri_was_sent: true,
            scopes: ScopeSet::parse("public").unwrap(),
            code_challenge: None,
            nonce: Some("n".into()),
            auth_time: now,
            created_at: now,
            expires_at: now + Duration::minutes(10),
            resource: None,
        })
        .await
        .unwrap();
    let code = store.find_authorization_code(&hash).await.unwrap().unwrap();
    assert_eq!(code.redeemed_at, None);
    assert_eq!(code.nonce.as_deref(), Some("n"));
    (code.id, hash)
}

#[tokio::test]
async fn fifty_concurrent_redemptions_of_one_code_store_exactly_one_token() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("race@example.com")).await.unwrap();
        let app = store.create_application(new_app("race")).await.unwrap();
        let (code_id, code_hash) = stored_code(&store, app.id, user.id).await;

        let attempts = (0..50).map(|_| {
            let store = Arc::clone(&store);
            let token = token(app.id, Some(user.id), Some(code_id));
            tokio::spawn(async move { store.redeem_authorization_code(code_id, token).await })
        });
        let mut winners = Vec::new();
        for attempt in attempts {
            if let Some(token) = attempt.await.unwrap().unwrap() {
                winners.push(token);
            }
        }
        assert_eq!(winners.len(), 1, "{name}: exactly one redemption wins");

        assert!(winners[0].revoked_at.is_none(), "{name}");
        let code = store.find_authorization_code(&code_hash).await.unwrap().unwrap();
        assert!(code.redeemed_at.is_some(), "{name}: the code is marked redeemed");
        assert_eq!(
            store.revoke_tokens_from_code(code_id, Utc::now()).await.unwrap(),
            1,
            "{name}: one token descends from the code"
        );
        assert_eq!(store.revoke_tokens_from_code(code_id, Utc::now()).await.unwrap(), 0, "{name}: already revoked");
    }
}

#[tokio::test]
async fn fifty_concurrent_rotations_of_one_refresh_token_yield_exactly_one_successor() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("rotate@example.com")).await.unwrap();
        let app = store.create_application(new_app("rotate")).await.unwrap();
        let first = token(app.id, Some(user.id), None);
        let refresh_hash = first.refresh_token_hash.unwrap();
        let access_hash = first.access_token_hash;
        let stored = store.create_access_token(first).await.unwrap();
        let (found, _) = store.find_by_refresh_token(&refresh_hash).await.unwrap().unwrap();
        assert_eq!(found.id, stored.id, "{name}");

        let attempts = (0..50).map(|_| {
            let store = Arc::clone(&store);
            let mut successor = token(app.id, Some(user.id), None);
            successor.previous_token_id = Some(stored.id);
            tokio::spawn(async move { store.rotate_refresh_token(stored.id, successor).await })
        });
        let mut successors = 0;
        for attempt in attempts {
            successors += usize::from(attempt.await.unwrap().unwrap().is_some());
        }
        assert_eq!(successors, 1, "{name}: exactly one rotation wins");
        let old = store.find_access_token(&access_hash).await.unwrap().unwrap();
        assert!(old.revoked_at.is_some(), "{name}: the rotated pair is revoked");
    }
}

#[tokio::test]
async fn client_options_round_trip_and_a_grace_rotation_keeps_its_salt() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("grace@example.com")).await.unwrap();
        let mut new = new_app("grace");
        new.options =
            ClientOptions { device_grant: true, require_par: true, require_dpop: true, refresh_grace_seconds: 45 };
        let app = store.create_application(new.clone()).await.unwrap();
        assert_eq!(app.options, new.options, "{name}");
        assert_eq!(store.find_application(app.id).await.unwrap().unwrap().options, new.options, "{name}");
        let plain = store.create_application(new_app("plain")).await.unwrap();
        assert_eq!(plain.options, ClientOptions::default(), "{name}");

        let first = store.create_access_token(token(app.id, Some(user.id), None)).await.unwrap();
        let mut successor = token(app.id, Some(user.id), None);
        successor.grace_salt = Some(vec![7; 32]);
        let won = store.rotate_refresh_token(first.id, successor).await.unwrap().unwrap();
        let (found, salt) = store.find_grace_successor(first.id).await.unwrap().unwrap();
        assert_eq!((found.id, salt), (won.id, vec![7; 32]), "{name}");
        assert_eq!(found.revoked_at, None, "{name}");
        // Once the successor is rotated in its turn, the lookup shows it revoked.
        store.rotate_refresh_token(won.id, token(app.id, Some(user.id), None)).await.unwrap().unwrap();
        let (found, _) = store.find_grace_successor(first.id).await.unwrap().unwrap();
        assert!(found.revoked_at.is_some(), "{name}");
        // A rotation without a grace window leaves nothing to find.
        assert_eq!(store.find_grace_successor(won.id).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn application_tokens_have_no_user_and_no_refresh_token() {
    for Backend { name, store, .. } in backends().await {
        let app = store.create_application(new_app("cc")).await.unwrap();
        let new = token(app.id, None, None);
        let hash = new.access_token_hash;
        let stored = store.create_access_token(new).await.unwrap();
        let found = store.find_access_token(&hash).await.unwrap().unwrap();
        assert_eq!(found, stored, "{name}");
        assert_eq!(found.user_id, None, "{name}");
        assert!(!found.has_refresh_token, "{name}");
        assert!(found.is_active(Utc::now()), "{name}");
        assert!(!found.is_active(Utc::now() + Duration::hours(3)), "{name}");
    }
}

#[tokio::test]
async fn the_sweeper_deletes_only_what_has_fully_expired_in_bounded_batches() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("sweep@example.com")).await.unwrap();
        let app = store.create_application(new_app("sweep")).await.unwrap();
        let now = Utc::now();
        let mut hashes = Vec::new();
        for (expires, refresh_expires) in [
            (now - Duration::hours(1), None),                             // expired app token: goes
            (now - Duration::hours(1), Some(now - Duration::minutes(1))), // both expired: goes
            (now - Duration::hours(1), Some(now + Duration::days(1))),    // refresh still valid: stays
            (now + Duration::hours(1), None),                             // live: stays
        ] {
            let mut new = token(app.id, refresh_expires.map(|_| user.id), None);
            new.expires_at = expires;
            new.refresh_expires_at = refresh_expires;
            hashes.push(new.access_token_hash);
            store.create_access_token(new).await.unwrap();
        }
        let session = BrowserSession {
            id_hash: Secret::generate().hash(),
            user_id: None,
            csrf_token: "c".into(),
            authenticated_at: None,
            expires_at: now - Duration::minutes(1),
            origin: Default::default(),
        };
        store.create_session(&session).await.unwrap();

        assert_eq!(store.delete_expired(now, 1).await.unwrap(), 2, "{name}: one token and one session per batch");
        assert_eq!(store.delete_expired(now, 1000).await.unwrap(), 1, "{name}: the other expired token");
        assert_eq!(store.delete_expired(now, 1000).await.unwrap(), 0, "{name}: nothing left to sweep");
        let mut remaining = Vec::new();
        for hash in &hashes {
            remaining.push(store.find_access_token(hash).await.unwrap().is_some());
        }
        assert_eq!(remaining, [false, false, true, true], "{name}");
        assert_eq!(store.find_session(&session.id_hash, now - Duration::hours(1)).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn pool_stats_report_open_connections() {
    for Backend { name, store, .. } in backends().await {
        store.ping().await.unwrap();
        let stats = store.pool_stats();
        assert!(stats.size >= 1, "{name}: {stats:?}");
        assert!(stats.idle <= stats.size, "{name}: {stats:?}");
    }
}

#[tokio::test]
async fn imports_insert_many_rows_in_chunks() {
    for Backend { name, store, .. } in backends().await {
        let users: Vec<_> = (0..2500).map(|i| new_user(&format!("bulk{i}@example.com"))).collect();
        assert_eq!(store.import_users(&users).await.unwrap(), 2500, "{name}");
        let last = store.find_user_by_email("bulk2499@example.com").await.unwrap().unwrap();
        assert_eq!(last.first_name, "Ann", "{name}");
        let app = store.create_application(new_app("bulk")).await.unwrap();
        let tokens: Vec<_> = (0..2500).map(|_| token(app.id, Some(last.id), None)).collect();
        assert_eq!(store.import_access_tokens(&tokens).await.unwrap(), 2500, "{name}");
        let found = store.find_access_token(&tokens[1234].access_token_hash).await.unwrap().unwrap();
        assert_eq!(found.user_id, Some(last.id), "{name}");
        let (by_refresh, _) =
            store.find_by_refresh_token(tokens[42].refresh_token_hash.as_ref().unwrap()).await.unwrap().unwrap();
        assert!(by_refresh.is_active(Utc::now()), "{name}");
    }
}

#[tokio::test]
async fn concurrent_token_creations_are_batched_and_each_answered_with_its_own_row() {
    for Backend { name, store, .. } in backends().await {
        let app = store.create_application(new_app("batch")).await.unwrap();
        let creations: Vec<_> = (0..200)
            .map(|_| {
                let store = Arc::clone(&store);
                let new = token(app.id, None, None);
                let hash = new.access_token_hash;
                tokio::spawn(async move { (hash, store.create_access_token(new).await) })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for creation in creations {
            let (hash, stored) = creation.await.unwrap();
            let stored = stored.unwrap();
            assert!(ids.insert(stored.id), "{name}: every request gets its own row");
            let found = store.find_access_token(&hash).await.unwrap().unwrap();
            assert_eq!(found.id, stored.id, "{name}: the answer is the row of this request's token");
        }
    }
}

/// What one concurrent request asked the store for, and what it got.
enum Outcome {
    Redeemed(i64, Option<i64>),
    Rotated(i64, Option<i64>),
    Created(SecretHash, i64),
}

#[tokio::test]
async fn concurrent_redemptions_rotations_and_creations_batched_together_each_win_once() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("mixed@example.com")).await.unwrap();
        let app = store.create_application(new_app("mixed")).await.unwrap();
        let mut codes = Vec::new();
        let mut refreshed = Vec::new();
        for _ in 0..10 {
            codes.push(stored_code(&store, app.id, user.id).await.0);
            refreshed.push(store.create_access_token(token(app.id, Some(user.id), None)).await.unwrap().id);
        }
        let mut requests = Vec::new();
        for _ in 0..3 {
            for (&code_id, &old_id) in codes.iter().zip(&refreshed) {
                let (redeemer, redeem) = (Arc::clone(&store), token(app.id, Some(user.id), Some(code_id)));
                requests.push(tokio::spawn(async move {
                    let won = redeemer.redeem_authorization_code(code_id, redeem).await.unwrap();
                    Outcome::Redeemed(code_id, won.map(|t| t.id))
                }));
                let (rotator, successor) = (Arc::clone(&store), token(app.id, Some(user.id), None));
                requests.push(tokio::spawn(async move {
                    let won = rotator.rotate_refresh_token(old_id, successor).await.unwrap();
                    Outcome::Rotated(old_id, won.map(|t| t.id))
                }));
                let (creator, new) = (Arc::clone(&store), token(app.id, None, None));
                requests.push(tokio::spawn(async move {
                    let hash = new.access_token_hash;
                    Outcome::Created(hash, creator.create_access_token(new).await.unwrap().id)
                }));
            }
        }
        let mut redeemed = std::collections::HashMap::new();
        let mut rotated = std::collections::HashMap::new();
        let mut created = 0;
        for request in requests {
            match request.await.unwrap() {
                Outcome::Redeemed(code_id, won) => *redeemed.entry(code_id).or_insert(0) += usize::from(won.is_some()),
                Outcome::Rotated(old_id, won) => *rotated.entry(old_id).or_insert(0) += usize::from(won.is_some()),
                Outcome::Created(hash, id) => {
                    assert_eq!(store.find_access_token(&hash).await.unwrap().unwrap().id, id, "{name}");
                    created += 1;
                }
            }
        }
        assert_eq!(created, 30, "{name}: every unconditional token is stored");
        assert_eq!(redeemed.len(), 10, "{name}");
        assert!(redeemed.values().all(|&wins| wins == 1), "{name}: one redemption per code wins: {redeemed:?}");
        assert_eq!(rotated.len(), 10, "{name}");
        assert!(rotated.values().all(|&wins| wins == 1), "{name}: one rotation per refresh token wins: {rotated:?}");
        for code_id in codes {
            assert_eq!(
                store.revoke_tokens_from_code(code_id, Utc::now()).await.unwrap(),
                1,
                "{name}: one token a code"
            );
        }
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_stored_fails_alone_and_the_tokens_batched_with_it_are_stored() {
    for Backend { name, store, .. } in backends().await {
        let app = store.create_application(new_app("isolated")).await.unwrap();
        let mut requests = Vec::new();
        for i in 0..31 {
            // The middle request names an application that does not exist.
            let new = token(if i == 15 { app.id + 1000 } else { app.id }, None, None);
            let store = Arc::clone(&store);
            requests.push(tokio::spawn(async move { store.create_access_token(new).await }));
        }
        for (i, request) in requests.into_iter().enumerate() {
            let result = request.await.unwrap();
            match i {
                15 => assert!(matches!(result, Err(StoreError::Conflict(_))), "{name}: {result:?}"),
                _ => assert!(result.is_ok(), "{name}: request {i}: {result:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_outlives_a_consent_revocation_racing_refreshes_and_its_codes_are_void() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("racer@example.com")).await.unwrap();
        let app = store.create_application(new_app("racer")).await.unwrap();
        for round in 0..5 {
            store.save_consent(user.id, app.id, ScopeSet::parse("public").unwrap(), Utc::now()).await.unwrap();
            let (code_id, _) = stored_code(&store, app.id, user.id).await;
            let root = token(app.id, Some(user.id), None);
            let mut hashes = vec![root.access_token_hash];
            let root = store.create_access_token(root).await.unwrap();
            // A client refreshing as fast as it can while the user revokes the application.
            let rotator = Arc::clone(&store);
            let refreshing = tokio::spawn(async move {
                let mut current = root.id;
                // Bounded: a chain that outlives the revocation would otherwise go on for ever.
                for _ in 0..500 {
                    let mut successor = token(app.id, Some(user.id), None);
                    successor.family_id = Some(root.id);
                    let hash = successor.access_token_hash;
                    match rotator.rotate_refresh_token(current, successor).await.unwrap() {
                        Some(stored) => {
                            hashes.push(hash);
                            current = stored.id;
                        }
                        None => break,
                    }
                }
                hashes
            });
            tokio::time::sleep(std::time::Duration::from_millis(5 * round)).await;
            store.revoke_consent(user.id, app.id, Utc::now()).await.unwrap();
            let hashes = refreshing.await.unwrap();
            for hash in &hashes {
                let stored = store.find_access_token(hash).await.unwrap().unwrap();
                assert!(
                    stored.revoked_at.is_some(),
                    "{name}: round {round}: token {} of {} outlived it",
                    stored.id,
                    hashes.len()
                );
            }
            let late =
                store.redeem_authorization_code(code_id, token(app.id, Some(user.id), Some(code_id))).await.unwrap();
            assert_eq!(late, None, "{name}: the code issued before the revocation is void");
            assert_eq!(store.find_consent(user.id, app.id).await.unwrap(), None, "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_revocations_racing_code_redemptions_neither_fail_nor_leave_a_live_token() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("codes-race@example.com")).await.unwrap();
        let app = store.create_application(new_app("codes-race")).await.unwrap();
        for round in 0..5 {
            store.save_consent(user.id, app.id, ScopeSet::parse("public").unwrap(), Utc::now()).await.unwrap();
            let mut codes = Vec::new();
            for _ in 0..20 {
                codes.push(stored_code(&store, app.id, user.id).await.0);
            }
            // Redemptions queued while the user revokes the application: a batch claiming codes
            // and the revocation voiding them must not deadlock.
            let redemptions: Vec<_> = codes
                .into_iter()
                .map(|code_id| {
                    let store = Arc::clone(&store);
                    let new = token(app.id, Some(user.id), Some(code_id));
                    let hash = new.access_token_hash;
                    tokio::spawn(async move { store.redeem_authorization_code(code_id, new).await.map(|t| (t, hash)) })
                })
                .collect();
            tokio::time::sleep(std::time::Duration::from_millis(round)).await;
            store.revoke_consent(user.id, app.id, Utc::now()).await.unwrap();
            for redemption in redemptions {
                let (stored, hash) = redemption.await.unwrap().unwrap_or_else(|err| panic!("{name}: {err}"));
                if stored.is_some() {
                    let found = store.find_access_token(&hash).await.unwrap().unwrap();
                    assert!(found.revoked_at.is_some(), "{name}: round {round}: a token outlived the revocation");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_database_holds_others_than_the_named_users_and_applications() {
    for Backend { name, store, .. } in backends().await {
        assert!(!store.holds_others_than(&["a@example.com"], &["demo"]).await.unwrap(), "{name}: empty");
        store.create_user(new_user("a@example.com")).await.unwrap();
        store.create_application(new_app("demo")).await.unwrap();
        assert!(!store.holds_others_than(&["a@example.com", "b@example.com"], &["demo"]).await.unwrap(), "{name}");
        store.create_application(new_app("real")).await.unwrap();
        assert!(store.holds_others_than(&["a@example.com"], &["demo"]).await.unwrap(), "{name}: another application");
        assert!(!store.holds_others_than(&["a@example.com"], &["demo", "real"]).await.unwrap(), "{name}");
        store.create_user(new_user("c@example.com")).await.unwrap();
        assert!(store.holds_others_than(&["a@example.com"], &["demo", "real"]).await.unwrap(), "{name}: another user");
        assert!(store.holds_others_than(&[], &[]).await.unwrap(), "{name}: empty lists name nobody");
    }
}
