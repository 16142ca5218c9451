//! OpenID Connect, driven by a real relying-party library (the `openidconnect` crate): discovery,
//! code + PKCE + nonce, ID-token signature and claims, userinfo, and key rotation.

use crate::harness::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKey, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use ticketbooth_domain::model::IdTokenAlg;

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn provider(app: &TestApp) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http()).await.expect("discovery")
}

backend_test! {
    async fn a_relying_party_library_verifies_rs256_id_tokens_the_default() {
        relying_party_flow(IdTokenAlg::RS256, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256).await;
    }
}

backend_test! {
    async fn a_relying_party_library_verifies_es256_id_tokens_of_an_application_that_chose_them() {
        relying_party_flow(IdTokenAlg::ES256, CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
    }
}

/// The whole OpenID Connect flow as a relying-party library runs it, for an application whose
/// id_tokens are signed with `alg`, then a key rotation.
async fn relying_party_flow(alg: IdTokenAlg, library_alg: CoreJwsSigningAlgorithm) {
    {
        let app = TestApp::spawn().await;
        let user = app.create_user("oidc@example.com").await;
        let registered = app.create_client_signing_with(alg, "openid profile email public").await;
        let metadata: serde_json::Value =
            app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["id_token_signing_alg_values_supported"], serde_json::json!(["RS256", "ES256"]));

        let client = CoreClient::from_provider_metadata(
            provider(&app).await,
            ClientId::new(registered.id().to_owned()),
            Some(ClientSecret::new(registered.secret().to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (auth_url, csrf, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();

        // The person's side: sign in, approve, land on the callback.
        assert_eq!(app.sign_in("oidc@example.com", PASSWORD).await.status(), reqwest::StatusCode::SEE_OTHER);
        let params: Vec<(String, String)> = auth_url.query_pairs().into_owned().collect();
        let params: Vec<(&str, &str)> = params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let approved = app.consent(&params, "approve").await;
        let callback = location_query(&approved);
        assert_eq!(&callback["state"], csrf.secret());
        assert_eq!(callback["iss"], app.base);

        let tokens = client
            .exchange_code(AuthorizationCode::new(callback["code"].clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http())
            .await
            .expect("code exchange");
        let id_token = tokens.id_token().expect("an id_token for the openid scope");
        let id_verifier = client.id_token_verifier().set_allowed_algs([library_alg.clone()]);
        let claims =
            id_token.claims(&id_verifier, &nonce).expect("signature, issuer, audience, nonce and times check out");
        assert_eq!(id_token.signing_alg().unwrap(), &library_alg);
        let strict = client.id_token_verifier().set_allowed_algs([match alg {
            IdTokenAlg::RS256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            IdTokenAlg::ES256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        }]);
        assert!(id_token.claims(&strict, &nonce).is_err(), "the library checks the algorithm");
        assert_eq!(claims.subject().as_str(), user.id.to_string());
        assert_eq!(claims.email().map(|e| e.as_str()), Some("oidc@example.com"));
        assert!(claims.auth_time().is_some());
        let expected_hash = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&id_verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected_hash));

        // A wrong nonce is caught by the library, so the check above means something.
        assert!(id_token.claims(&id_verifier, &Nonce::new("other".into())).is_err());

        let userinfo: CoreUserInfoClaims = client
            .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
            .unwrap()
            .request_async(&http())
            .await
            .expect("userinfo");
        assert_eq!(userinfo.email().map(|e| e.as_str()), Some("oidc@example.com"));

        // Rotate the key: the old token still verifies against the published keys, new ones use the new key.
        let old_kid = id_token.signing_key(&id_verifier).unwrap().key_id().cloned();
        let rotated = ticketbooth_server::keys::rotate(&app.store).await.unwrap();
        assert_eq!(rotated.len(), 2, "one new key per algorithm");
        assert!(rotated.iter().all(|key| Some(key.kid.as_str()) != old_kid.as_ref().map(|k| k.as_str())));
        let fresh = CoreClient::from_provider_metadata(
            provider(&app).await,
            ClientId::new(registered.id().to_owned()),
            Some(ClientSecret::new(registered.secret().to_owned())),
        );
        let fresh_verifier = fresh.id_token_verifier().set_allowed_algs([library_alg]);
        assert!(id_token.claims(&fresh_verifier, &nonce).is_ok(), "tokens signed before the rotation stay verifiable");
        let jwks: serde_json::Value =
            app.http.get(app.url("/oauth/discovery/keys")).send().await.unwrap().json().await.unwrap();
        let published: Vec<&str> =
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(published.len(), 4, "two active and two retired keys");
        let mut newest: Vec<&str> = published[..2].to_vec();
        newest.sort_unstable();
        let mut expected: Vec<&str> = rotated.iter().map(|key| key.kid.as_str()).collect();
        expected.sort_unstable();
        assert_eq!(newest, expected, "the active keys come first");
    }
}

backend_test! {
    async fn without_the_openid_scope_there_is_no_id_token_and_no_userinfo() {
        let app = TestApp::spawn().await;
        app.create_user("plain@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public openid").await;
        let code = app.obtain_code("plain@example.com", &code_request(&client)).await;
        let tokens = app.exchange(&client, &code).await;
        assert!(tokens.get("id_token").is_none());
        let (status, body) = app.api_get("/oauth/userinfo", tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"], "insufficient_scope");
    }
}
