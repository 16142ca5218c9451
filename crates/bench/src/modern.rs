//! The data of the device-poll and dpop-bearer-read scenarios: pending device authorizations to
//! poll, and DPoP-bound tokens each with a stack of single-use proofs signed ahead of the run
//! (wrk cannot sign), addressed to the server's own URL.

use crate::prepare::{token, write_lines};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use std::path::{Path, PathBuf};
use ticketbooth_domain::device::NewDeviceAuthorization;
use ticketbooth_domain::dpop::access_token_hash;
use ticketbooth_domain::model::{ClientOptions, NewAccessToken, NewApplication};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::Secret;
use ticketbooth_store::DynStore;

/// The public client the device-poll scenario polls as.
pub(crate) const DEVICE_CLIENT_ID: &str = "bench-scanner";
/// Device authorizations polled in turn (each is told `authorization_pending`, then `slow_down`).
const DEVICES: usize = 1_000;
/// DPoP-bound tokens the proofs are spread over.
const DPOP_TOKENS: usize = 1_000;

/// Pending device authorizations; returns the file of their device codes.
pub(crate) async fn devices(store: &DynStore, dir: &Path) -> anyhow::Result<PathBuf> {
    let app = store
        .create_application(NewApplication {
            client_id: DEVICE_CLIENT_ID.into(),
            name: "Bench scanner".into(),
            scopes: ScopeSet::parse("public")?,
            options: ClientOptions { device_grant: true, ..ClientOptions::default() },
            ..NewApplication::default()
        })
        .await?;
    let now = Utc::now();
    let mut codes = Vec::with_capacity(DEVICES);
    for i in 0..DEVICES {
        let code = Secret::generate();
        store
            .create_device_authorization(NewDeviceAuthorization {
                device_code_hash: code.hash(),
                user_code: format!("{i:08}"),
                application_id: app.id,
                scopes: app.scopes,
                created_at: now,
                // Longer than any run.
                expires_at: now + Duration::hours(2),
                interval_seconds: 5,
                resource: None,
            })
            .await?;
        codes.push(code.expose().to_owned());
    }
    let file = dir.join("devices.txt");
    write_lines(&file, codes.into_iter())?;
    Ok(file)
}

/// `proofs` lines of "token proof": DPoP-bound tokens of `application_id` for `user_id`, each
/// with fresh proofs for `GET {base}/api/public/me`. Proofs are good for five minutes (`iat`).
pub(crate) async fn dpop_reads(
    store: &DynStore,
    application_id: i64,
    user_id: i64,
    base: &str,
    proofs: usize,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let point = secret.public_key().to_encoded_point(false);
    let x = URL_SAFE_NO_PAD.encode(point.x().expect("an uncompressed point"));
    let y = URL_SAFE_NO_PAD.encode(point.y().expect("an uncompressed point"));
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(serde_json::json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }))?;
    let jkt = jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)?;
    let key = jsonwebtoken::EncodingKey::from_ec_der(secret.to_pkcs8_der()?.as_bytes());

    let tokens: Vec<Secret> = (0..DPOP_TOKENS).map(|_| Secret::generate()).collect();
    let rows: Vec<NewAccessToken> = tokens
        .iter()
        .map(|secret| NewAccessToken {
            dpop_jkt: Some(jkt.clone()),
            ..token(application_id, user_id, secret.hash(), None)
        })
        .collect();
    let now = Utc::now();
    store.import_access_tokens(&rows).await?;

    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(jwk);
    let htu = format!("{base}/api/public/me");
    let mut lines = Vec::with_capacity(proofs);
    for i in 0..proofs {
        let token = tokens[i % DPOP_TOKENS].expose();
        let claims = serde_json::json!({
            "jti": format!("bench-{i}"), "htm": "GET", "htu": htu, "iat": now.timestamp(),
            "ath": access_token_hash(token),
        });
        lines.push(format!("{token} {}", jsonwebtoken::encode(&header, &claims, &key)?));
    }
    let file = dir.join("dpop.txt");
    write_lines(&file, lines.into_iter())?;
    Ok(file)
}
