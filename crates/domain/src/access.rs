//! Who may call which resource operation (eventpop-api.md §0.4, §0.5, §2.6, §3.1).
//!
//! User lists (#3, #4) answer 401 `organizer_mismatch` when the token's application belongs to
//! another organizer; organizer operations (#5–#8) answer 403; the ticket search (#9) hides every
//! mismatch behind 404. A missing scope is always 403 `insufficient_scope`.

use crate::scope::{Scope, ScopeSet};

/// The bearer token's identity, as far as access decisions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// `None` for an application (client-credentials) token.
    pub user_id: Option<i64>,
    pub scopes: ScopeSet,
    /// The organizer that owns the token's application, if any.
    pub app_organizer_id: Option<i64>,
}

/// A refused resource request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// 403: the token lacks `scope` (or is of the wrong kind for the operation).
    #[error("{message}")]
    InsufficientScope { scope: &'static str, message: &'static str },
    /// 401 on user lists: the application belongs to another organizer.
    #[error("The token's application belongs to another organizer.")]
    OrganizerMismatch,
    /// 403 on organizer operations.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: the search hides mismatches.
    #[error("No ticket matches.")]
    NotFound,
}

/// What a caller may see of an organizer's user resources (#3, #4): their own items, as this user.
pub fn user_resources(caller: &Caller, organizer_id: i64) -> Result<i64, AccessError> {
    let Some(user_id) = caller.user_id else {
        return Err(AccessError::InsufficientScope {
            scope: "public",
            message: "This operation needs a user token, not an application token.",
        });
    };
    if !caller.scopes.contains(Scope::Public) {
        return Err(AccessError::InsufficientScope {
            scope: "public",
            message: "This operation needs the public scope.",
        });
    }
    match caller.app_organizer_id {
        Some(owner) if owner != organizer_id => Err(AccessError::OrganizerMismatch),
        _ => Ok(user_id),
    }
}

/// Whether a caller may act on an organizer's events, orders and tickets (#5–#8). `is_member`
/// says whether the token's user belongs to the organizer (ignored for application tokens).
pub fn organizer_operation(caller: &Caller, organizer_id: i64, is_member: bool) -> Result<(), AccessError> {
    const NOT_OWNER: &str = "The application is not owned by this organizer.";
    match caller.user_id {
        // Application tokens act for the organizer that owns the application, and for no other.
        None if caller.app_organizer_id == Some(organizer_id) => Ok(()),
        None => Err(AccessError::Forbidden(NOT_OWNER)),
        Some(_) if !caller.scopes.contains(Scope::Organizer) => Err(AccessError::InsufficientScope {
            scope: "organizer",
            message: "This operation needs the organizer scope.",
        }),
        Some(_) if caller.app_organizer_id.is_some_and(|owner| owner != organizer_id) => {
            Err(AccessError::Forbidden(NOT_OWNER))
        }
        Some(_) if !is_member => Err(AccessError::Forbidden("You are not a member of this organizer.")),
        Some(_) => Ok(()),
    }
}

/// Whether a caller may find a ticket of an event run by `organizer_id` (#9): like an organizer
/// operation, but every mismatch is reported as not found.
pub fn ticket_search(caller: &Caller, organizer_id: i64, is_member: bool) -> Result<(), AccessError> {
    organizer_operation(caller, organizer_id, is_member).map_err(|err| match err {
        AccessError::Forbidden(_) | AccessError::OrganizerMismatch => AccessError::NotFound,
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(scopes: &str, app_organizer_id: Option<i64>) -> Caller {
        Caller { user_id: Some(1), scopes: ScopeSet::parse(scopes).unwrap(), app_organizer_id }
    }

    fn app(owner: Option<i64>) -> Caller {
        Caller { user_id: None, scopes: ScopeSet::parse("public").unwrap(), app_organizer_id: owner }
    }

    #[test]
    fn user_lists_need_a_user_token_with_public_and_a_matching_app_owner() {
        assert_eq!(user_resources(&user("public", None), 5), Ok(1));
        assert_eq!(user_resources(&user("public", Some(5)), 5), Ok(1));
        assert_eq!(user_resources(&user("public", Some(6)), 5), Err(AccessError::OrganizerMismatch));
        assert!(matches!(user_resources(&user("organizer", None), 5), Err(AccessError::InsufficientScope { .. })));
        assert!(matches!(user_resources(&app(Some(5)), 5), Err(AccessError::InsufficientScope { .. })));
    }

    #[test]
    fn organizer_operations_for_application_tokens_follow_ownership() {
        assert_eq!(organizer_operation(&app(Some(5)), 5, false), Ok(()));
        assert!(matches!(organizer_operation(&app(Some(6)), 5, false), Err(AccessError::Forbidden(_))));
        assert!(matches!(organizer_operation(&app(None), 5, false), Err(AccessError::Forbidden(_))));
    }

    #[test]
    fn organizer_operations_for_user_tokens_need_scope_and_membership() {
        assert_eq!(organizer_operation(&user("public organizer", None), 5, true), Ok(()));
        assert!(matches!(
            organizer_operation(&user("public", None), 5, true),
            Err(AccessError::InsufficientScope { .. })
        ));
        assert!(matches!(organizer_operation(&user("organizer", None), 5, false), Err(AccessError::Forbidden(_))));
        assert!(matches!(organizer_operation(&user("organizer", Some(6)), 5, true), Err(AccessError::Forbidden(_))));
    }

    #[test]
    fn search_reports_mismatches_as_not_found_but_keeps_scope_errors() {
        assert_eq!(ticket_search(&app(Some(6)), 5, false), Err(AccessError::NotFound));
        assert_eq!(ticket_search(&user("organizer", None), 5, false), Err(AccessError::NotFound));
        assert!(matches!(ticket_search(&user("public", None), 5, true), Err(AccessError::InsufficientScope { .. })));
        assert_eq!(ticket_search(&app(Some(5)), 5, false), Ok(()));
    }
}
