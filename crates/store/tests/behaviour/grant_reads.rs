//! A token request's client and the grant it presents, read together.

use crate::identity::{stored_code, token};
use crate::support::*;

use chrono::Utc;
use ticketbooth_domain::secret::Secret;
use ticketbooth_store::{FoundGrant, GrantKey};

#[tokio::test]
async fn a_client_and_its_grant_read_together_are_what_they_are_read_apart() {
    for Backend { name, store, .. } in backends().await {
        let user = store.create_user(new_user("together@example.com")).await.unwrap();
        let app = store.create_application(new_app("together")).await.unwrap();
        let other = store.create_application(new_app("other")).await.unwrap();
        let (code_id, code_hash) = stored_code(&store, app.id, user.id).await;
        let issued = token(app.id, Some(user.id), None);
        let refresh_hash = issued.refresh_token_hash.unwrap();
        store.create_access_token(issued).await.unwrap();
        let unknown = Secret::generate().hash();

        let code = store.find_authorization_code(&code_hash).await.unwrap();
        let (client, found) = store.find_client_and_grant("together", &GrantKey::Code(code_hash)).await.unwrap();
        assert_eq!(client.as_ref(), Some(&app), "{name}");
        assert!(matches!(found, FoundGrant::Code(found) if found == code && code.is_some()), "{name}");

        let refresh = store.find_by_refresh_token(&refresh_hash).await.unwrap();
        let key = GrantKey::RefreshToken(refresh_hash);
        let (client, found) = store.find_client_and_grant("together", &key).await.unwrap();
        assert_eq!(client.as_ref(), Some(&app), "{name}");
        assert!(matches!(found, FoundGrant::RefreshToken(found) if found == refresh && refresh.is_some()), "{name}");

        // Another client's code is found too: the grant rules refuse it, and know why.
        let (client, found) = store.find_client_and_grant("other", &GrantKey::Code(code_hash)).await.unwrap();
        assert_eq!(client.as_ref(), Some(&other), "{name}");
        assert!(matches!(found, FoundGrant::Code(Some(found)) if found.application_id == app.id), "{name}");

        let (client, found) = store.find_client_and_grant("together", &GrantKey::Code(unknown)).await.unwrap();
        assert_eq!(client.as_ref(), Some(&app), "{name}: an unknown code");
        assert!(matches!(found, FoundGrant::Code(None)), "{name}: an unknown code");
        let (client, found) = store.find_client_and_grant("together", &GrantKey::RefreshToken(unknown)).await.unwrap();
        assert_eq!(client.as_ref(), Some(&app), "{name}: an unknown refresh token");
        assert!(matches!(found, FoundGrant::RefreshToken(None)), "{name}: an unknown refresh token");
        let (client, found) = store.find_client_and_grant("nobody", &GrantKey::Code(code_hash)).await.unwrap();
        assert_eq!(client, None, "{name}: an unknown client");
        assert!(matches!(found, FoundGrant::Code(None)), "{name}: not looked up for an unknown client");

        // Read after redemption: the code shows it.
        store.redeem_authorization_code(code_id, token(app.id, Some(user.id), Some(code_id))).await.unwrap();
        let (_, found) = store.find_client_and_grant("together", &GrantKey::Code(code_hash)).await.unwrap();
        let redeemed_at = match found {
            FoundGrant::Code(Some(code)) => code.redeemed_at,
            _ => None,
        };
        assert!(redeemed_at.is_some_and(|at| at <= Utc::now()), "{name}: redeemed");
    }
}
