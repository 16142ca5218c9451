//! Device authorizations, pushed requests, DPoP proofs, shared secrets and the logout outbox: each
//! change is atomic, so concurrent callers (other instances) agree.

use crate::identity::token;
use crate::support::*;

use chrono::{Duration, Utc};
use std::sync::Arc;
use ticketbooth_domain::device::NewDeviceAuthorization;
use ticketbooth_domain::model::NewApplication;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_store::StoreError;

fn device(application_id: i64, user_code: &str, device_code: &Secret) -> NewDeviceAuthorization {
    let now = Utc::now();
    NewDeviceAuthorization {
        device_code_hash: device_code.hash(),
        user_code: user_code.into(),
        application_id,
        scopes: ScopeSet::parse("public").unwrap(),
        created_at: now,
        expires_at: now + Duration::minutes(10),
        interval_seconds: 5,
        resource: None,
    }
}

#[tokio::test]
async fn a_device_authorization_is_decided_once_polled_with_a_shared_interval_and_redeemed_once() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("staff@example.com")).await.unwrap();
        let app = store.create_application(new_app("scanner")).await.unwrap();
        let code = Secret::generate();
        let created = store.create_device_authorization(device(app.id, "BCDFGHJK", &code)).await.unwrap();
        let taken = store.create_device_authorization(device(app.id, "BCDFGHJK", &Secret::generate())).await;
        assert!(matches!(taken, Err(StoreError::Conflict(_))), "{name}: user codes are unique");
        let found = store.find_device_authorization("BCDFGHJK", Utc::now()).await.unwrap().unwrap();
        assert_eq!(found, created, "{name}");
        let later = Utc::now() + Duration::minutes(11);
        assert_eq!(store.find_device_authorization("BCDFGHJK", later).await.unwrap(), None, "{name}: expired");

        // Polls: the first is on time, one right after it is too fast and grows the interval.
        let now = Utc::now();
        let first = store.poll_device_authorization(&code.hash(), now, 5, 500).await.unwrap().unwrap();
        assert!(!first.polled_too_fast, "{name}");
        let second = store.poll_device_authorization(&code.hash(), now, 5, 500).await.unwrap().unwrap();
        assert!(second.polled_too_fast && second.interval_seconds == 10, "{name}: {second:?}");
        let on_time = now + Duration::seconds(10);
        let third = store.poll_device_authorization(&code.hash(), on_time, 5, 500).await.unwrap().unwrap();
        assert!(!third.polled_too_fast && third.interval_seconds == 10, "{name}: {third:?}");
        assert_eq!(store.poll_device_authorization(&SecretHash::of("x"), now, 5, 500).await.unwrap(), None);

        // Eight people decide at once: one decision stands.
        let decisions = (0..8).map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store.decide_device_authorization(created.id, user.id, i % 2 == 0, Utc::now(), Utc::now()).await
            })
        });
        let mut decided = 0;
        for decision in decisions {
            decided += usize::from(decision.await.unwrap().unwrap());
        }
        assert_eq!(decided, 1, "{name}");
        let approved = store.find_device_authorization("BCDFGHJK", Utc::now()).await.unwrap().unwrap().approved;
        if approved == Some(true) {
            // Eight polls redeem at once: one token.
            let redemptions = (0..8).map(|_| {
                let store = Arc::clone(&store);
                let token = token(app.id, Some(user.id), None);
                tokio::spawn(async move { store.redeem_device_authorization(created.id, token).await })
            });
            let mut redeemed = 0;
            for redemption in redemptions {
                redeemed += usize::from(redemption.await.unwrap().unwrap().is_some());
            }
            assert_eq!(redeemed, 1, "{name}");
        } else {
            let refused = store.redeem_device_authorization(created.id, token(app.id, Some(user.id), None)).await;
            assert_eq!(refused.unwrap(), None, "{name}: a denied authorization redeems nothing");
        }
    }
}

#[tokio::test]
async fn a_pushed_request_opens_within_its_minute_stays_open_for_the_flow_and_is_spent_once() {
    for Backend { name, store, .. } in backends().await {
        let app = store.create_application(new_app("par")).await.unwrap();
        let other = store.create_application(new_app("other")).await.unwrap();
        let now = Utc::now();
        let hash = SecretHash::of("request-uri");
        store
            .push_authorization_request(&hash, app.id, "response_type=code", now + Duration::seconds(60))
            .await
            .unwrap();
        let flow = Duration::minutes(10);
        assert_eq!(store.open_pushed_request(&hash, other.id, now, flow).await.unwrap(), None, "{name}");
        let opened = store.open_pushed_request(&hash, app.id, now, flow).await.unwrap().unwrap();
        assert_eq!(opened.parameters, "response_type=code", "{name}");
        // Back from a five-minute sign-in: still open, first opening kept.
        let back = now + Duration::minutes(5);
        let reopened = store.open_pushed_request(&hash, app.id, back, flow).await.unwrap().unwrap();
        assert_eq!(reopened.opened_at.timestamp(), opened.opened_at.timestamp(), "{name}");
        let spends = (0..6).map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.spend_pushed_request(&hash, app.id, back).await })
        });
        let mut spent = 0;
        for spend in spends {
            spent += usize::from(spend.await.unwrap().unwrap());
        }
        assert_eq!(spent, 1, "{name}: spent once");
        assert_eq!(store.open_pushed_request(&hash, app.id, back, flow).await.unwrap(), None, "{name}");

        let unopened = SecretHash::of("late");
        store.push_authorization_request(&unopened, app.id, "x=1", now + Duration::seconds(60)).await.unwrap();
        let late = now + Duration::seconds(61);
        assert_eq!(store.open_pushed_request(&unopened, app.id, late, flow).await.unwrap(), None, "{name}: expired");
    }
}

#[tokio::test]
async fn proofs_are_remembered_once_and_a_shared_secret_has_one_value() {
    for Backend { name, store, .. } in backends().await {
        let until = Utc::now() + Duration::minutes(5);
        let tries = (0..8).map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.remember_proof(&SecretHash::of("jkt\njti"), until).await })
        });
        let mut fresh = 0;
        for attempt in tries {
            fresh += usize::from(attempt.await.unwrap().unwrap());
        }
        assert_eq!(fresh, 1, "{name}: one of eight racing uses of a proof is accepted");

        let candidates = (0..4u8).map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.server_secret("dpop-nonce", &[i; 32], Utc::now()).await })
        });
        let mut secrets = Vec::new();
        for candidate in candidates {
            secrets.push(candidate.await.unwrap().unwrap());
        }
        assert!(secrets.iter().all(|secret| *secret == secrets[0]), "{name}: {secrets:?}");
    }
}

#[tokio::test]
async fn logout_notifications_go_to_listening_applications_and_are_claimed_until_sent() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("leaving@example.com")).await.unwrap();
        let listening =
            NewApplication { backchannel_logout_uri: Some("https://rp.example/bc".into()), ..new_app("rp") };
        let listening = store.create_application(listening).await.unwrap();
        let deaf = store.create_application(new_app("deaf")).await.unwrap();
        let scopes = ScopeSet::parse("public").unwrap();
        for app in [&listening, &deaf] {
            store.save_consent(user.id, app.id, scopes, Utc::now()).await.unwrap();
        }
        let now = Utc::now();
        let jti = || Secret::generate().expose().to_owned();
        assert_eq!(store.queue_logouts(user.id, "user-1", &jti, now).await.unwrap(), 1, "{name}");

        let lease = now + Duration::seconds(60);
        let claimed = store.claim_logouts(now, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{name}");
        assert_eq!((claimed[0].application_id, claimed[0].uri.as_str()), (listening.id, "https://rp.example/bc"));
        assert!(store.claim_logouts(now, lease, 10).await.unwrap().is_empty(), "{name}: leased");
        store.mark_logout_failed(claimed[0].id, now, "503").await.unwrap();
        let again = store.claim_logouts(now, lease, 10).await.unwrap();
        assert_eq!((again[0].attempts, &again[0].jti), (1, &claimed[0].jti), "{name}");
        store.mark_logout_sent(again[0].id, now).await.unwrap();
        assert!(store.claim_logouts(lease, lease, 10).await.unwrap().is_empty(), "{name}: sent");
    }
}
