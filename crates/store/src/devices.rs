//! Flows that start on one channel and finish on another: device authorizations (RFC 8628),
//! approved in a browser while the device polls, and pushed authorization requests (RFC 9126),
//! posted by the client and opened by the browser.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use ticketbooth_domain::device::{DeviceAuthorization, NewDeviceAuthorization};
use ticketbooth_domain::model::{AccessToken, NewAccessToken};
use ticketbooth_domain::secret::SecretHash;

/// Device authorizations. Each change is one guarded statement, so two instances cannot both
/// decide, both redeem, or lose a poll's interval change.
#[async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    /// Stores a device authorization; `Conflict` when its user code is in use (draw another).
    async fn create_device_authorization(&self, new: NewDeviceAuthorization) -> StoreResult<DeviceAuthorization>;
    /// The unexpired authorization a user code names.
    async fn find_device_authorization(
        &self,
        user_code: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    /// Records the user's decision; false when it was decided already or has expired.
    async fn decide_device_authorization(
        &self,
        id: i64,
        user_id: i64,
        approved: bool,
        auth_time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Records a poll and returns the record as the poll left it: `polled_too_fast` is set, and the
    /// interval grown by `slow_down_step` seconds, when the poll came more than `slack_ms` before
    /// the interval since the previous one was up (RFC 8628 §3.5).
    async fn poll_device_authorization(
        &self,
        device_code_hash: &SecretHash,
        now: DateTime<Utc>,
        slow_down_step: u32,
        slack_ms: i64,
    ) -> StoreResult<Option<DeviceAuthorization>>;
    /// Marks the approved authorization redeemed and stores the token minted from it, in one
    /// transaction; `None`, storing nothing, when it was redeemed already.
    async fn redeem_device_authorization(&self, id: i64, token: NewAccessToken) -> StoreResult<Option<AccessToken>>;
}

/// A pushed authorization request, as the authorization endpoint opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    /// The request's parameters, form-encoded, as the client pushed them.
    pub parameters: String,
    /// When the browser first brought it to the authorization endpoint.
    pub opened_at: DateTime<Utc>,
}

/// Pushed authorization requests, by the hash of their `request_uri`.
#[async_trait]
pub trait PushedRequestStore: Send + Sync + 'static {
    /// Stores a pushed request.
    async fn push_authorization_request(
        &self,
        request_uri_hash: &SecretHash,
        application_id: i64,
        parameters: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Opens a pushed request for `application_id`: the first opening must come before its expiry
    /// and gives the user `flow_ttl` from then to sign in and decide; later openings (the return
    /// from sign-in, a reload) must come within that. `None` when unknown, another client's,
    /// expired or spent.
    async fn open_pushed_request(
        &self,
        request_uri_hash: &SecretHash,
        application_id: i64,
        now: DateTime<Utc>,
        flow_ttl: Duration,
    ) -> StoreResult<Option<PushedRequest>>;
    /// Spends an opened request as the user decides; false when it was spent already or expired.
    async fn spend_pushed_request(
        &self,
        request_uri_hash: &SecretHash,
        application_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
