//! Door check-in end to end: passes verified offline by an independent Ed25519 implementation
//! (Node.js's crypto) against the published keys, online scans with their answers, idempotent
//! retries, uploads of offline scans, the list with live counts, the revoked-ticket sync, and the
//! `ticket.checked_in` webhook.

use crate::api_world::*;
use crate::harness::*;
use crate::node::node_helpers;
use crate::webhooks::{subscribe, Receiver};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn new_ticket(w: &World, token: &str) -> Value {
    let body = json!({ "ticket_type_id": w.types[0].id, "firstname": "Dao", "lastname": "Rueang",
                       "email": "dao@partner.example", "phone": "0833333333" });
    let (status, created) = w.app.api_post(&w.event_path("/tickets"), token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["ticket"].clone()
}

async fn scan(w: &World, token: &str, body: Value) -> Value {
    let (status, answer) = w.app.api_post(&w.event_path("/check_ins"), token, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// Verifies `pass` with the JWKS in Node.js; the verified claims, or None.
fn verify_offline(w: &World, jwks: &Value, pass: &str) -> Option<Value> {
    let helpers = node_helpers()?;
    let file = w.app.dir.path().join("jwks.json");
    std::fs::write(&file, jwks.to_string()).unwrap();
    let output = std::process::Command::new("node")
        .arg(helpers.join("verify-pass.mjs"))
        .arg(&file)
        .arg(pass)
        .output()
        .expect("node");
    output.status.success().then(|| serde_json::from_slice(&output.stdout).unwrap())
}

backend_test! {
    async fn doors_check_tickets_in_online_and_offline() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        subscribe(&w, &token, &receiver.url, &["ticket.checked_in"]).await;
        let ticket = new_ticket(&w, &token).await;
        let ticket_id = ticket["id"].as_i64().unwrap();

        // The pass and the event's keys: a scanner that synced the keys verifies it offline.
        let (status, secret) = w.app.api_get(&w.event_path(&format!("/tickets/{ticket_id}/secret")), &token).await;
        assert_eq!(status, StatusCode::OK, "{secret}");
        let pass = secret["secret"].as_str().unwrap().to_owned();
        assert!(pass.len() < 300, "small enough for a QR code: {} characters", pass.len());
        let keys = w.app.http.get(w.app.url(&w.event_path("/check_in_keys"))).send().await.unwrap();
        assert_eq!(keys.status(), StatusCode::OK, "public: no token needed");
        let jwks: Value = keys.json().await.unwrap();
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert!(jwks["keys"][0].get("d").is_none(), "no private part");
        let node_ran = node_helpers().is_some();
        if node_ran {
            let claims = verify_offline(&w, &jwks, &pass).expect("the pass verifies offline");
            assert_eq!((claims["t"].as_i64(), claims["e"].as_i64()), (Some(ticket_id), Some(w.event.id)));
        }
        // Altered (the ticket id changed) or forged: refused offline and online.
        let mut parts: Vec<String> = pass.split('.').map(str::to_owned).collect();
        let mut claims: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1]).unwrap(),
        )
        .unwrap();
        claims["t"] = json!(ticket_id + 1);
        parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims.to_string());
        let altered = parts.join(".");
        if node_ran {
            assert!(verify_offline(&w, &jwks, &altered).is_none());
        }
        let answer = scan(&w, &token, json!({ "secret": altered, "nonce": "n-altered" })).await;
        assert_eq!(answer["result"], "invalid");
        let answer = scan(&w, &token, json!({ "secret": "eyJhbGciOiJub25lIn0.e30.", "nonce": "n-forged" })).await;
        assert_eq!(answer["result"], "invalid");

        // Online: ok once; a retry with the same nonce gets the first answer; another scan is
        // refused with when; exit then entry again.
        let first = scan(&w, &token, json!({ "secret": pass, "nonce": "n1", "type": "entry", "device": "gate A" })).await;
        assert_eq!((first["result"].clone(), first["replayed"].clone()), ("ok".into(), false.into()), "{first}");
        assert_eq!(first["ticket"]["status"], "used", "checked in counts as used");
        let retry = scan(&w, &token, json!({ "secret": pass, "nonce": "n1", "type": "entry" })).await;
        assert_eq!((retry["result"].clone(), retry["replayed"].clone()), ("ok".into(), true.into()));
        assert_eq!(retry["check_in"]["id"], first["check_in"]["id"]);
        let again = scan(&w, &token, json!({ "reference_code": ticket["reference_code"], "nonce": "n2" })).await;
        assert_eq!(again["result"], "already_checked_in");
        assert!(again["check_in"]["checked_in_at"].as_str().is_some(), "{again}");
        assert_eq!(scan(&w, &token, json!({ "secret": pass, "nonce": "n3", "type": "exit" })).await["result"], "ok");
        assert_eq!(scan(&w, &token, json!({ "secret": pass, "nonce": "n4", "type": "entry" })).await["result"], "ok");

        // A used ticket cannot be invalidated (as before check-in existed).
        let (status, body) =
            w.app.api_post(&w.event_path("/tickets/invalidate"), &token, json!({ "ticket_id": ticket_id })).await;
        assert_eq!((status, body["error"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, "already_used".into()));

        // Offline scans uploaded later: recorded at their time, forced past the server's view.
        let offline = new_ticket(&w, &token).await;
        let scanned = (chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339();
        let upload = json!({ "reference_code": offline["reference_code"], "nonce": "offline-1", "datetime": scanned,
                             "force": true, "device": "scanner 7" });
        let uploaded = scan(&w, &token, upload).await;
        assert_eq!(uploaded["result"], "ok");
        let revoked = new_ticket(&w, &token).await;
        w.app.api_post(&w.event_path("/tickets/invalidate"), &token, json!({ "ticket_id": revoked["id"] })).await;
        let late = json!({ "reference_code": revoked["reference_code"], "nonce": "offline-2", "force": true });
        let forced = scan(&w, &token, late).await;
        assert_eq!((forced["result"].clone(), forced["check_in"]["forced"].clone()), ("ok".into(), true.into()));
        assert_eq!(forced["check_in"]["reason"], "revoked", "says what it would have been");
        let online = json!({ "reference_code": revoked["reference_code"], "nonce": "online-3" });
        assert_eq!(scan(&w, &token, online).await["result"], "revoked");

        // A genuine pass of another organizer's event: wrong event.
        let other_token = w.app.app_token(&w.other_client).await;
        let (_, other_list) = w
            .app
            .api_get(&format!("/api/public/organizers/{}/events/{}/tickets", w.other_event.organizer_id, w.other_event.id), &other_token)
            .await;
        let other_ticket = other_list["tickets"][0]["id"].as_i64().unwrap();
        let (_, other_secret) = w
            .app
            .api_get(
                &format!(
                    "/api/public/organizers/{}/events/{}/tickets/{other_ticket}/secret",
                    w.other_event.organizer_id, w.other_event.id
                ),
                &other_token,
            )
            .await;
        let wrong = scan(&w, &token, json!({ "secret": other_secret["secret"], "nonce": "n-wrong" })).await;
        assert_eq!(wrong["result"], "wrong_event");

        // Bad requests.
        for body in [json!({ "nonce": "x" }), json!({ "reference_code": "A", "secret": "b", "nonce": "y" }),
                     json!({ "reference_code": "A" }), json!({ "reference_code": "A", "nonce": "z", "type": "sideways" })] {
            let (status, _) = w.app.api_post(&w.event_path("/check_ins"), &token, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        }

        // The list and the live counts.
        let (status, list) = w.app.api_get(&w.event_path("/check_ins?per_page=50"), &token).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["counts"]["inside"], 2, "{}", list["counts"]);
        assert_eq!(list["counts"]["checked_in"], 2);
        let device_scan = list["check_ins"].as_array().unwrap().iter().find(|c| c["nonce"] == "offline-1").unwrap();
        assert_eq!(device_scan["device"], "scanner 7");
        assert_eq!(device_scan["holder"], "Dao Rueang");
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(device_scan["datetime"].as_str().unwrap()).unwrap().timestamp(),
            chrono::DateTime::parse_from_rfc3339(&scanned).unwrap().timestamp()
        );

        // The revoked-ticket sync.
        let (status, sync) = w.app.api_get(&w.event_path("/revoked_tickets"), &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sync["tickets"][0]["reference_code"], revoked["reference_code"]);
        let since = urlencode((chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339());
        let (_, later) = w.app.api_get(&w.event_path(&format!("/revoked_tickets?updated_since={since}")), &token).await;
        assert_eq!(later["tickets"], json!([]));

        // ticket.checked_in went out for each admitted entry, with the scan.
        let received = receiver.wait_for(4).await;
        assert!(received.iter().all(|r| r.body["type"] == "ticket.checked_in"));
        assert_eq!(received[0].body["check_in"]["type"], "entry");
        assert_eq!(received[0].body["check_in"]["device"], "gate A");
        assert_eq!(received[0].body["ticket"]["id"], ticket_id);
    }
}

fn urlencode(text: String) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

backend_test! {
    async fn concurrent_scans_at_two_doors_admit_once() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let ticket = new_ticket(&w, &token).await;
        let doors: Vec<_> = (0..10)
            .map(|door| {
                let request = w.app.http.post(w.app.url(&w.event_path("/check_ins"))).bearer_auth(&token).json(
                    &json!({ "reference_code": ticket["reference_code"], "nonce": format!("door-{door}") }),
                );
                tokio::spawn(async move {
                    let answer: Value = request.send().await.unwrap().json().await.unwrap();
                    answer["result"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        let mut results = Vec::new();
        for door in doors {
            results.push(door.await.unwrap());
        }
        assert_eq!(results.iter().filter(|result| *result == "ok").count(), 1, "{results:?}");
        assert!(results.iter().all(|result| result == "ok" || result == "already_checked_in"), "{results:?}");
    }
}
