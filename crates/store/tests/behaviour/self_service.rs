//! Self-service accounts in the store: mailed links, the mail outbox, sessions by person.

use crate::support::{backends, new_user, Backend};
use chrono::{Duration, Utc};
use ticketbooth_domain::account::LinkPurpose;
use ticketbooth_domain::model::{BrowserSession, NewUser, SessionOrigin};
use ticketbooth_domain::secret::Secret;
use ticketbooth_store::{DynStore, NewAccountLink, OutgoingMail, SessionSelection, StoreError};

async fn link(store: &DynStore, user_id: i64, purpose: LinkPurpose, email: &str, valid_for: Duration) -> Secret {
    let secret = Secret::generate();
    store
        .create_link(&NewAccountLink {
            link_hash: secret.hash(),
            user_id,
            purpose,
            email: email.into(),
            expires_at: Utc::now() + valid_for,
        })
        .await
        .unwrap();
    secret
}

#[tokio::test]
async fn a_reset_link_works_once_even_when_used_twice_at_the_same_time() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("race@example.com")).await.unwrap();
        let secret = link(&store, user.id, LinkPurpose::ResetPassword, &user.email, Duration::hours(1)).await;
        let hash = secret.hash();
        let now = Utc::now();
        let (a, b) =
            tokio::join!(store.reset_password(&hash, "hash-a", now), store.reset_password(&hash, "hash-b", now));
        let winners = [a.unwrap(), b.unwrap()].into_iter().flatten().count();
        assert_eq!(winners, 1, "{name}");
        let stored = store.find_user(user.id).await.unwrap().unwrap().password_hash;
        assert!(stored == "hash-a" || stored == "hash-b", "{name}");
        assert_eq!(store.peek_link(&hash, LinkPurpose::ResetPassword, now).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn a_link_works_only_for_its_purpose_and_until_it_expires() {
    for Backend { name, store, .. } in backends().await {
        let mut unverified = new_user("new@example.com");
        unverified.email_verified = false;
        let user = store.create_user(unverified).await.unwrap();
        assert!(!user.email_verified(), "{name}");
        let verify = link(&store, user.id, LinkPurpose::VerifyEmail, &user.email, Duration::hours(24)).await;
        let now = Utc::now();
        assert_eq!(store.reset_password(&verify.hash(), "x", now).await.unwrap(), None, "{name}: wrong purpose");
        let expired = link(&store, user.id, LinkPurpose::VerifyEmail, &user.email, Duration::seconds(-1)).await;
        assert_eq!(store.verify_email(&expired.hash(), now).await.unwrap(), None, "{name}: expired");
        assert!(!store.find_user(user.id).await.unwrap().unwrap().email_verified(), "{name}");
        assert_eq!(store.verify_email(&verify.hash(), now).await.unwrap(), Some(user.id), "{name}");
        assert!(store.find_user(user.id).await.unwrap().unwrap().email_verified(), "{name}");
        assert_eq!(store.verify_email(&verify.hash(), now).await.unwrap(), None, "{name}: used");
        // The sweeper takes expired links away.
        assert!(store.delete_expired(now, 100).await.unwrap() >= 1, "{name}");
    }
}

#[tokio::test]
async fn a_reset_ends_every_session_and_spends_every_other_reset_link() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("ends@example.com")).await.unwrap();
        let now = Utc::now();
        for _ in 0..2 {
            store.create_session(&session(Some(user.id), "Firefox")).await.unwrap();
        }
        let first = link(&store, user.id, LinkPurpose::ResetPassword, &user.email, Duration::hours(1)).await;
        let second = link(&store, user.id, LinkPurpose::ResetPassword, &user.email, Duration::hours(1)).await;
        assert_eq!(store.reset_password(&second.hash(), "new-hash", now).await.unwrap(), Some(user.id), "{name}");
        assert!(store.list_sessions(user.id, now).await.unwrap().is_empty(), "{name}");
        assert_eq!(store.reset_password(&first.hash(), "other", now).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn an_email_change_moves_the_account_unless_the_address_was_taken_meanwhile() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("from@example.com")).await.unwrap();
        let now = Utc::now();
        let change = link(&store, user.id, LinkPurpose::ChangeEmail, "to@example.com", Duration::hours(24)).await;
        let taken = link(&store, user.id, LinkPurpose::ChangeEmail, "taken@example.com", Duration::hours(24)).await;
        store.create_user(NewUser { ..new_user("taken@example.com") }).await.unwrap();
        let refused = store.change_email(&taken.hash(), now).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{name}: {refused:?}");
        let moved = store.change_email(&change.hash(), now).await.unwrap().unwrap();
        assert_eq!(
            (moved.old_email.as_str(), moved.new_email.as_str()),
            ("from@example.com", "to@example.com"),
            "{name}"
        );
        assert_eq!(store.find_user(user.id).await.unwrap().unwrap().email, "to@example.com", "{name}");
    }
}

fn session(user_id: Option<i64>, user_agent: &str) -> BrowserSession {
    let now = Utc::now();
    BrowserSession {
        id_hash: Secret::generate().hash(),
        user_id,
        csrf_token: "csrf".into(),
        authenticated_at: user_id.map(|_| now),
        expires_at: now + Duration::hours(1),
        origin: SessionOrigin { user_agent: user_agent.into(), address: "198.51.100.7".into(), created_at: now },
    }
}

#[tokio::test]
async fn sessions_are_listed_and_ended_per_person() {
    for Backend { name, store, .. } in backends().await {
        let ann = store.create_user(new_user("ann@example.com")).await.unwrap();
        let bob = store.create_user(new_user("bob@example.com")).await.unwrap();
        let here = session(Some(ann.id), "Chrome");
        let there = session(Some(ann.id), "Safari");
        let elsewhere = session(Some(ann.id), "Edge");
        let bobs = session(Some(bob.id), "Firefox");
        for s in [&here, &there, &elsewhere, &bobs] {
            store.create_session(s).await.unwrap();
        }
        let now = Utc::now();
        let listed = store.list_sessions(ann.id, now).await.unwrap();
        assert_eq!(listed.len(), 3, "{name}");
        assert!(listed.iter().any(|s| s.origin.user_agent == "Safari" && s.origin.address == "198.51.100.7"), "{name}");
        // Someone else's session cannot be ended by naming it.
        assert_eq!(store.end_sessions(ann.id, SessionSelection::Only(&bobs.id_hash)).await.unwrap(), 0, "{name}");
        assert_eq!(store.end_sessions(ann.id, SessionSelection::Only(&there.id_hash)).await.unwrap(), 1, "{name}");
        assert_eq!(store.end_sessions(ann.id, SessionSelection::AllBut(&here.id_hash)).await.unwrap(), 1, "{name}");
        let left: Vec<_> = store.list_sessions(ann.id, now).await.unwrap().into_iter().map(|s| s.id_hash).collect();
        assert_eq!(left, vec![here.id_hash], "{name}");
        assert_eq!(store.list_sessions(bob.id, now).await.unwrap().len(), 1, "{name}");
    }
}

fn mail(to: &str) -> OutgoingMail {
    OutgoingMail {
        sender: "no-reply@localhost".into(),
        recipient: to.into(),
        message: b"Subject: hi\r\n\r\nhello".to_vec(),
    }
}

#[tokio::test]
async fn two_instances_never_claim_the_same_message() {
    for Backend { name, store, .. } in backends().await {
        let now = Utc::now();
        for i in 0..30 {
            store.enqueue_mail(&mail(&format!("p{i}@example.com")), now).await.unwrap();
        }
        let lease = now + Duration::minutes(2);
        let (a, b) = tokio::join!(store.claim_mail(now, lease, 20), store.claim_mail(now, lease, 20));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 30, "{name}: every due message claimed once ({} + {})", a.len(), b.len());
        assert!(a.iter().all(|x| b.iter().all(|y| x.id != y.id)), "{name}: no message twice");
        assert!(store.claim_mail(now, lease, 20).await.unwrap().is_empty(), "{name}: leased");

        // A failure waits for its retry; a success is never claimed again.
        let (first, second) = (&a[0], &a[1]);
        store.mark_mail_sent(first.id, now).await.unwrap();
        store.mark_mail_failed(second.id, now + Duration::seconds(30), "connection refused").await.unwrap();
        assert_eq!(store.undelivered_mail().await.unwrap(), 29, "{name}");
        let later = now + Duration::seconds(31);
        let retried = store.claim_mail(later, later + Duration::minutes(2), 50).await.unwrap();
        assert_eq!(retried.iter().map(|m| m.id).collect::<Vec<_>>(), vec![second.id], "{name}");
        assert_eq!(retried[0].attempts, 1, "{name}");
        assert_eq!(retried[0].mail, mail(&second.mail.recipient), "{name}");
        // After the lease, unsent messages are claimed again (the instance holding them died).
        let after_lease = lease + Duration::seconds(1);
        let reclaimed = store.claim_mail(after_lease, after_lease + Duration::minutes(2), 50).await.unwrap();
        assert_eq!(reclaimed.len(), 28, "{name}");
    }
}
