//! `GET /api/public/me`: the signed-in user's profile (eventpop-api.md §4.1).

use crate::error::ApiError;
use crate::error::ApiErrorBody;
use crate::extract::bearer::ApiRequest;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DurationRound, TimeDelta, Utc};
use serde::Serialize;
use ticketbooth_domain::model::User;
use ticketbooth_domain::Scope;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct MeResponse {
    user: UserBody,
}

#[derive(Serialize, ToSchema)]
struct UserBody {
    id: i64,
    full_name: String,
    email: String,
    avatar: String,
    avatars: Avatars,
    birthday: Option<String>,
    gender: Option<String>,
    phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Avatars {
    original: String,
    medium: String,
    thumb: String,
    tiny: String,
}

impl UserBody {
    fn new(user: User, avatar: String) -> UserBody {
        UserBody {
            id: user.id,
            full_name: user.full_name(),
            email: user.email,
            avatars: Avatars {
                original: avatar.clone(),
                medium: avatar.clone(),
                thumb: avatar.clone(),
                tiny: avatar.clone(),
            },
            avatar,
            birthday: user.birthday,
            gender: user.gender,
            phone: user.phone,
        }
    }
}

/// The token's user: `{"user": {...}}`.
///
/// User token with the `public` scope. Limited to 10 requests a minute per token by default
/// (429 with `Retry-After`). The token may also travel as an `access_token` query parameter
/// (RFC 6750 §2.3), never in two places at once.
#[utoipa::path(
    get,
    path = "/api/public/me",
    operation_id = "get_me",
    tag = "User profile",
    responses(
        (status = 200, body = MeResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 429, body = ApiErrorBody),
    ),
    security(("user_token" = ["public"]))
)]
pub(crate) async fn show(state: State<AppState>, request: ApiRequest) -> Result<Json<MeResponse>, ApiError> {
    profile(state, request).await
}

/// The token's user, for clients that must POST: the token may then also travel as an
/// `access_token` form field (RFC 6750 §2.2), never in two places at once.
#[utoipa::path(
    post,
    path = "/api/public/me",
    operation_id = "post_me",
    tag = "User profile",
    responses(
        (status = 200, body = MeResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 429, body = ApiErrorBody),
    ),
    security(("user_token" = ["public"]))
)]
pub(crate) async fn show_posted(state: State<AppState>, request: ApiRequest) -> Result<Json<MeResponse>, ApiError> {
    profile(state, request).await
}

async fn profile(State(state): State<AppState>, request: ApiRequest) -> Result<Json<MeResponse>, ApiError> {
    let bearer = request.bearer;
    bearer.require(Scope::Public)?;
    bearer.user_id()?;
    enforce_rate_limit(&state, bearer.token.id).await?;
    let user = bearer.user.ok_or_else(|| ApiError::invalid_token("The token's user no longer exists."))?;
    Ok(Json(MeResponse { user: UserBody::new(user, state.config.url("/static/avatar.svg")) }))
}

/// A fixed one-minute window per token, counted in the store so every instance shares it.
async fn enforce_rate_limit(state: &AppState, token_id: i64) -> Result<(), ApiError> {
    let limit = state.config.me_rate_limit;
    if limit == 0 {
        return Ok(());
    }
    let now = Utc::now();
    let window = TimeDelta::minutes(1);
    let window_start = now.duration_trunc(window).unwrap_or(now);
    let hits = state.store.hit_rate_limit(&format!("me:{token_id}"), window_start).await?;
    if hits > limit {
        let retry_after = (window_start + window - now).num_seconds().max(1);
        return Err(ApiError::rate_limited(retry_after.unsigned_abs()));
    }
    Ok(())
}
