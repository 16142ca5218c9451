//! `GET /api/public/me`: the signed-in user's profile (eventpop-api.md §4.1).

use crate::error::ApiError;
use crate::extract::bearer::Bearer;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use ticketbooth_domain::model::User;
use ticketbooth_domain::Scope;

#[derive(Serialize)]
pub(crate) struct MeResponse {
    user: UserBody,
}

#[derive(Serialize)]
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

#[derive(Serialize)]
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

/// The token's user. Needs a user token with the `public` scope.
pub(super) async fn show(State(state): State<AppState>, bearer: Bearer) -> Result<Json<MeResponse>, ApiError> {
    bearer.require(Scope::Public)?;
    let user_id = bearer.user_id()?;
    let user = state
        .store
        .find_user(user_id)
        .await?
        .ok_or_else(|| ApiError::invalid_token("The token's user no longer exists."))?;
    Ok(Json(MeResponse { user: UserBody::new(user, state.config.url("/static/avatar.svg")) }))
}
