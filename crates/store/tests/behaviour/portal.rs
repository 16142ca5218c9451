//! Applications by request in the store: review, the secret shown once, rotation with a grace
//! period, suspension, roles, disabled accounts and the append-only audit log.

use crate::identity::token;
use crate::support::{backends, new_app, new_user, Backend};
use chrono::{Duration, Utc};
use sqlx::Connection;
use ticketbooth_domain::portal::{Actor, ApplicationDraft, AuditEntry, RequestStatus};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;
use ticketbooth_store::{Approval, AuditFilter, RequestFilter, RoleChange};

fn actor(name: &str) -> Actor {
    Actor { user_id: None, name: name.into(), address: "192.0.2.1".into() }
}

fn draft() -> ApplicationDraft {
    ApplicationDraft {
        name: "Shop".into(),
        description: "Sells tickets".into(),
        website: "https://shop.example".into(),
        redirect_uris: vec!["https://shop.example/cb".into()],
        confidential: true,
        scopes: ScopeSet::parse("public email").unwrap(),
        organizer_id: None,
        purpose: "Our customers' tickets".into(),
    }
}

#[tokio::test]
async fn a_request_is_approved_once_and_its_secret_is_revealed_once() {
    for Backend { name, store, .. } in backends().await {
        let dev = store.create_user(new_user("dev@example.com")).await.unwrap();
        let audit = AuditEntry::new(&actor("dev@example.com"), "request.create", String::new());
        let request = store.create_request(dev.id, None, &draft(), Utc::now(), &audit).await.unwrap();
        assert_eq!(request.status, RequestStatus::Pending, "{name}");
        let pending = RequestFilter { status: Some(RequestStatus::Pending), ..RequestFilter::default() };
        assert_eq!(store.list_requests(pending).await.unwrap().len(), 1, "{name}");

        let approval = Approval {
            request_id: request.id,
            reviewer_id: None,
            scopes: ScopeSet::parse("public").unwrap(),
            client_id: "shop-client".into(),
            unseen_secret: Some(SecretHash::of("nobody holds this")),
            now: Utc::now(),
        };
        let approve = AuditEntry::new(&actor("cli"), "request.approve", format!("request:{}", request.id));
        let (first, second) =
            tokio::join!(store.approve_request(&approval, &approve), store.approve_request(&approval, &approve));
        let app = first.unwrap().or(second.unwrap()).expect("one approval wins");
        assert_eq!(app.scopes.to_string(), "public", "{name}: the trimmed scopes");
        assert_eq!(app.owner_id, Some(dev.id), "{name}");
        assert!(!app.secret_shown, "{name}");
        let reviewed = store.find_request(request.id).await.unwrap().unwrap();
        assert_eq!((reviewed.status, reviewed.application_id), (RequestStatus::Approved, Some(app.id)), "{name}");

        let (first, second) = (SecretHash::of("first"), SecretHash::of("second"));
        let (a, b) = tokio::join!(store.reveal_secret(app.id, &first), store.reveal_secret(app.id, &second));
        assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|won| **won).count(), 1, "{name}: revealed once");
        let app = store.find_application(app.id).await.unwrap().unwrap();
        assert!(app.secret_shown, "{name}");
        let now = Utc::now();
        assert!(
            app.accepts_secret(&SecretHash::of("first"), now) ^ app.accepts_secret(&SecretHash::of("second"), now),
            "{name}"
        );
        assert!(!app.accepts_secret(&SecretHash::of("nobody holds this"), now), "{name}");

        let log = store.audit_log(AuditFilter { limit: 10, ..AuditFilter::default() }).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|line| line.action.as_str()).collect();
        assert_eq!(actions, ["request.approve", "request.create"], "{name}: one approval logged, newest first");
        assert_eq!(log[1].target, format!("request:{}", request.id), "{name}");
    }
}

#[tokio::test]
async fn a_rotated_secret_works_until_its_grace_period_ends() {
    for Backend { name, store, .. } in backends().await {
        let app = store.create_application(new_app("rotating")).await.unwrap();
        let now = Utc::now();
        let audit = AuditEntry::new(&actor("cli"), "application.rotate-secret", format!("application:{}", app.id));
        assert!(store
            .rotate_secret(app.id, &SecretHash::of("new"), Some(now + Duration::days(2)), &audit)
            .await
            .unwrap());
        let app = store.find_application(app.id).await.unwrap().unwrap();
        assert!(app.accepts_secret(&SecretHash::of("new"), now), "{name}");
        assert!(app.accepts_secret(&SecretHash::of("secret"), now), "{name}: in its grace period");
        assert!(!app.accepts_secret(&SecretHash::of("secret"), now + Duration::days(3)), "{name}: after it");

        assert!(store.rotate_secret(app.id, &SecretHash::of("newer"), None, &audit).await.unwrap());
        let app = store.find_application(app.id).await.unwrap().unwrap();
        assert!(!app.accepts_secret(&SecretHash::of("new"), now), "{name}: no grace asked, none given");
        assert!(app.accepts_secret(&SecretHash::of("newer"), now), "{name}");
    }
}

#[tokio::test]
async fn suspension_revokes_every_token_of_the_application() {
    for Backend { name, store, .. } in backends().await {
        let app = store.create_application(new_app("suspended")).await.unwrap();
        let now = Utc::now();
        let new = token(app.id, None, None);
        let hash = new.access_token_hash;
        store.create_access_token(new).await.unwrap();
        // The tally is written by the flush that stored the token, just after it answered (on
        // PostgreSQL possibly on another connection than the read's): give it a moment.
        let mut usage = store.application_usage(app.id, now).await.unwrap();
        for _ in 0..50 {
            if usage.issued_last_day == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            usage = store.application_usage(app.id, now).await.unwrap();
        }
        assert_eq!((usage.issued_last_day, usage.issued_last_30_days), (1, 1), "{name}");

        let audit = AuditEntry::new(&actor("cli"), "application.suspend", format!("application:{}", app.id));
        assert!(store.suspend_application(app.id, now, &audit).await.unwrap());
        let suspended = store.find_application(app.id).await.unwrap().unwrap();
        assert!(suspended.suspended_at.is_some(), "{name}");
        let revoked = store.find_access_token(&hash).await.unwrap();
        assert!(revoked.is_none_or(|token| token.revoked_at.is_some()), "{name}");

        assert!(store.resume_application(app.id, &audit).await.unwrap());
        assert!(store.find_application(app.id).await.unwrap().unwrap().suspended_at.is_none(), "{name}");
    }
}

#[tokio::test]
async fn the_last_administrator_keeps_the_role_and_a_disabled_user_loses_sessions() {
    for Backend { name, store, .. } in backends().await {
        let mut first = new_user("first-admin@example.com");
        first.is_admin = true;
        let first = store.create_user(first).await.unwrap();
        let other = store.create_user(new_user("other@example.com")).await.unwrap();
        let audit = AuditEntry::new(&actor("cli"), "user.revoke-admin", format!("user:{}", first.id));
        assert_eq!(store.set_admin(first.id, false, &audit).await.unwrap(), RoleChange::LastAdmin, "{name}");
        assert_eq!(store.set_admin(other.id, true, &audit).await.unwrap(), RoleChange::Changed, "{name}");
        assert_eq!(store.set_admin(other.id, true, &audit).await.unwrap(), RoleChange::Unchanged, "{name}");
        assert_eq!(store.set_admin(first.id, false, &audit).await.unwrap(), RoleChange::Changed, "{name}");
        assert_eq!(store.set_admin(other.id, false, &audit).await.unwrap(), RoleChange::LastAdmin, "{name}");

        let now = Utc::now();
        assert!(store.set_disabled(first.id, true, now, &audit).await.unwrap());
        assert!(!store.set_disabled(first.id, true, now, &audit).await.unwrap(), "{name}: already disabled");
        assert!(store.find_user(first.id).await.unwrap().unwrap().disabled_at.is_some(), "{name}");
        assert!(store.set_disabled(first.id, false, now, &audit).await.unwrap());
        assert!(store.find_user(first.id).await.unwrap().unwrap().disabled_at.is_none(), "{name}");
        let found = store.search_users("OTHER@", 10).await.unwrap();
        assert_eq!(found.iter().map(|user| user.id).collect::<Vec<_>>(), [other.id], "{name}");
        assert!(store.search_users("%", 10).await.unwrap().is_empty(), "{name}: wildcards match themselves");
    }
}

#[tokio::test]
async fn the_audit_log_cannot_be_changed() {
    for Backend { name, store, url, .. } in backends().await {
        store.record(&AuditEntry::new(&actor("cli"), "user.reset-password", "user:1".into())).await.unwrap();
        let log = store.audit_log(AuditFilter { action: Some("user."), limit: 5, ..AuditFilter::default() });
        assert_eq!(log.await.unwrap().len(), 1, "{name}");
        let none = store.audit_log(AuditFilter { action: Some("application."), limit: 5, ..AuditFilter::default() });
        assert!(none.await.unwrap().is_empty(), "{name}");
        for statement in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"] {
            let refused = if name != "sqlite" {
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::query(statement).execute(&mut conn).await.is_err()
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query(statement).execute(&mut conn).await.is_err()
            };
            assert!(refused, "{name}: {statement} was refused");
        }
    }
}

#[tokio::test]
async fn token_counts_cover_the_last_24_hours_and_30_days_and_older_ones_are_swept() {
    for Backend { name, store, url, .. } in backends().await {
        let app = store.create_application(new_app("counted")).await.unwrap();
        let now = Utc::now();
        let hour = now.timestamp().div_euclid(3600);
        // Counts written by earlier hours: 2 within the day, 3 within the month, 7 older than that.
        let rows = [(hour - 5, 2), (hour - 24 * 10, 3), (hour - 24 * 40, 7)];
        for (at, issued) in rows {
            let statement = format!(
                "INSERT INTO application_usage (application_id, hour, issued, last_issued_at) VALUES ({}, {at}, {issued}, {})",
                app.id,
                at * 3600
            );
            if name != "sqlite" {
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::query(&statement).execute(&mut conn).await.unwrap();
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query(&statement).execute(&mut conn).await.unwrap();
            }
        }
        let usage = store.application_usage(app.id, now).await.unwrap();
        assert_eq!((usage.issued_last_day, usage.issued_last_30_days), (2, 5), "{name}");
        assert_eq!(usage.last_issued_at.map(|at| at.timestamp()), Some((hour - 5) * 3600), "{name}");
        assert!(store.delete_expired(now, 100).await.unwrap() >= 1, "{name}: the 40-day-old count");
        // Two weeks on, both younger counts are still within 30 days, neither within the day.
        let usage = store.application_usage(app.id, now + Duration::days(15)).await.unwrap();
        assert_eq!((usage.issued_last_day, usage.issued_last_30_days), (0, 5), "{name}");
    }
}
