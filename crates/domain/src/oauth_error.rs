//! The error codes of RFC 6749 §4.1.2.1 and §5.2.

use std::fmt;

/// An OAuth 2 error code as it appears in `error=` and in JSON error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// The request is missing a parameter, repeats one, or is otherwise malformed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The code, refresh token or PKCE verifier is invalid, expired, revoked or was issued to
    /// another client.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The response type is not supported.
    UnsupportedResponseType,
    /// The scope is unknown, malformed or beyond what the client was registered with.
    InvalidScope,
    /// The resource owner denied the request.
    AccessDenied,
    /// `prompt=none`, but the user is not signed in (OpenID Connect Core §3.1.2.6).
    LoginRequired,
    /// `prompt=none`, but the user has not yet consented (OpenID Connect Core §3.1.2.6).
    ConsentRequired,
    /// RFC 7009 §2.2.1: a `token_type_hint` the server does not know.
    UnsupportedTokenType,
    /// Too many failed attempts; retry later (sent with 429 and `Retry-After`).
    TemporarilyUnavailable,
    /// Unexpected condition on our side.
    ServerError,
    /// RFC 8628 §3.5: the user has not yet approved the device.
    AuthorizationPending,
    /// RFC 8628 §3.5: polled before the interval was up; the interval grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired; the device starts again.
    ExpiredToken,
    /// RFC 9126 §2.2 / RFC 9101 §6.2: the `request_uri` is unknown, expired or used.
    InvalidRequestUri,
    /// RFC 9449 §5: the DPoP proof is missing, malformed, replayed or does not match the request.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the nonce sent in `DPoP-Nonce`.
    UseDpopNonce,
    /// RFC 8707 §2: the `resource` is unknown, malformed or not one this client may ask for.
    InvalidTarget,
    /// RFC 6750 §3.1: the bearer token (here, RFC 7592's registration access token) is not valid.
    InvalidToken,
    /// RFC 7591 §3.2.2: a redirect URI in the client metadata is refused.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: a client metadata field is refused.
    InvalidClientMetadata,
}

impl OAuthErrorCode {
    /// The code's wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::AccessDenied => "access_denied",
            OAuthErrorCode::LoginRequired => "login_required",
            OAuthErrorCode::ConsentRequired => "consent_required",
            OAuthErrorCode::UnsupportedTokenType => "unsupported_token_type",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::AuthorizationPending => "authorization_pending",
            OAuthErrorCode::SlowDown => "slow_down",
            OAuthErrorCode::ExpiredToken => "expired_token",
            OAuthErrorCode::InvalidRequestUri => "invalid_request_uri",
            OAuthErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            OAuthErrorCode::UseDpopNonce => "use_dpop_nonce",
            OAuthErrorCode::InvalidTarget => "invalid_target",
            OAuthErrorCode::InvalidToken => "invalid_token",
            OAuthErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            OAuthErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
