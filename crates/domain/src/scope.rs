//! OAuth scopes (RFC 6749 §3.3) as Ticketbooth knows them.

use std::fmt;

/// One scope Ticketbooth understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The user's own profile, orders and tickets.
    Public,
    /// Resources of the organizers the user belongs to (or that own the application).
    Organizer,
    /// OpenID Connect sign-in.
    OpenId,
    /// OpenID Connect profile claims.
    Profile,
    /// OpenID Connect email claims.
    Email,
}

impl Scope {
    /// Every scope, in canonical order.
    pub const ALL: [Scope; 5] = [Scope::Public, Scope::Organizer, Scope::OpenId, Scope::Profile, Scope::Email];

    /// The scope's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Organizer => "organizer",
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
        }
    }

    /// What the scope lets an application do, in words a user understands (consent page).
    pub fn description(self) -> &'static str {
        match self {
            Scope::Public => "See your profile, your orders and your tickets",
            Scope::Organizer => "Manage the events, orders and tickets of the organizers you belong to",
            Scope::OpenId => "Sign you in with your Ticketbooth account",
            Scope::Profile => "See your name",
            Scope::Email => "See your email address",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}

/// Why a scope string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// A token that is not one of our scopes.
    #[error("unknown scope `{0}`")]
    Unknown(String),
    /// Characters RFC 6749 §3.3 does not allow in a scope token.
    #[error("malformed scope parameter")]
    Malformed,
}

/// A set of scopes, stored as a bit set so copies and subset checks cost nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    /// The empty set.
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// A set holding just `scope`.
    pub fn only(scope: Scope) -> ScopeSet {
        ScopeSet(scope.bit())
    }

    /// Parses a space-delimited scope string (RFC 6749 §3.3). Repeated tokens collapse; the order
    /// of tokens does not matter. An empty string yields the empty set.
    pub fn parse(input: &str) -> Result<ScopeSet, ScopeError> {
        let mut set = ScopeSet::EMPTY;
        // RFC 6749 §3.3: scope = scope-token *( SP scope-token ), so a scope that is sent must
        // hold a token: one of only spaces is malformed, not a request for no scopes. Extra
        // spaces between tokens are forgiven, as Doorkeeper (Eventpop's server) forgives them.
        if !input.is_empty() && input.bytes().all(|b| b == b' ') {
            return Err(ScopeError::Malformed);
        }
        // scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
        for token in input.split(' ').filter(|token| !token.is_empty()) {
            if !token.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)) {
                return Err(ScopeError::Malformed);
            }
            let scope = Scope::from_name(token).ok_or_else(|| ScopeError::Unknown(token.into()))?;
            set = set.with(scope);
        }
        Ok(set)
    }

    /// The requested scope of an authorization or client-credentials request: a missing or empty
    /// parameter means `public` (the Eventpop/Doorkeeper default).
    pub fn parse_requested(input: Option<&str>) -> Result<ScopeSet, ScopeError> {
        let set = ScopeSet::parse(input.unwrap_or(""))?;
        Ok(if set.is_empty() { ScopeSet::only(Scope::Public) } else { set })
    }

    /// This set with `scope` added.
    pub fn with(self, scope: Scope) -> ScopeSet {
        ScopeSet(self.0 | scope.bit())
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of this set is also in `other`.
    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |scope| self.contains(*scope))
    }
}

impl fmt::Display for ScopeSet {
    /// The canonical space-delimited form, e.g. `public organizer`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, scope) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({self})")
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(ScopeSet::EMPTY, ScopeSet::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_space_delimited_scopes_in_any_order() {
        let set = ScopeSet::parse("organizer public").unwrap();
        assert!(set.contains(Scope::Public));
        assert!(set.contains(Scope::Organizer));
        assert!(!set.contains(Scope::OpenId));
        assert_eq!(set.to_string(), "public organizer");
    }

    #[test]
    fn repeated_and_extra_spaces_collapse() {
        assert_eq!(ScopeSet::parse("  public  public ").unwrap().to_string(), "public");
    }

    #[test]
    fn a_missing_or_empty_scope_means_public() {
        assert_eq!(ScopeSet::parse_requested(None).unwrap().to_string(), "public");
        assert_eq!(ScopeSet::parse_requested(Some("")).unwrap().to_string(), "public");
        assert_eq!(ScopeSet::parse_requested(Some("organizer")).unwrap().to_string(), "organizer");
    }

    #[test]
    fn unknown_scopes_are_refused_by_name() {
        assert_eq!(ScopeSet::parse("public admin"), Err(ScopeError::Unknown("admin".into())));
    }

    #[test]
    fn characters_outside_the_rfc_grammar_are_refused() {
        assert_eq!(ScopeSet::parse("public\"x"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse("public\tx"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse("pub\\lic"), Err(ScopeError::Malformed));
        for spaced in [" ", "  "] {
            assert_eq!(ScopeSet::parse(spaced), Err(ScopeError::Malformed), "{spaced:?}");
            assert_eq!(ScopeSet::parse_requested(Some(spaced)), Err(ScopeError::Malformed), "{spaced:?}");
        }
        assert_eq!(ScopeSet::parse(""), Ok(ScopeSet::EMPTY));
    }

    #[test]
    fn subset_checks() {
        let public = ScopeSet::only(Scope::Public);
        let both = public.with(Scope::Organizer);
        assert!(public.is_subset_of(both));
        assert!(!both.is_subset_of(public));
        assert!(ScopeSet::EMPTY.is_subset_of(public));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_display_round_trips(input in ".{0,64}") {
            if let Ok(set) = ScopeSet::parse(&input) {
                prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
            }
        }

        #[test]
        fn any_subset_of_known_scopes_round_trips(bits in 0u8..32) {
            let set: ScopeSet = Scope::ALL.into_iter().filter(|s| bits & (1 << (*s as u8)) != 0).collect();
            prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
        }
    }
}
