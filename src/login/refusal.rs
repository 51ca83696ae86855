//! A login the rules refuse, or one that did not reach the room's level of authentication:
//! its audit line, its metrics, and the error that tells the user (and, behind a fold, the
//! administrator) why.

use crate::error::{AppError, DenialCause};
use crate::jitsi::room::RoomName;
use crate::jitsi::tenant::Tenant;
use crate::login::retry::Retry;
use crate::policy::claims::Identity;
use crate::policy::level::TooLow;
use crate::policy::rules::Verdict;
use crate::shared::AppState;
use crate::telemetry::AUDIT;

/// The audit line, the metrics and the error for a login the rules refuse.
pub fn refused(
    app: &AppState,
    realm: &crate::shared::Realm,
    who: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
    verdict: Verdict,
    retry: Option<Box<Retry>>,
) -> AppError {
    let Verdict::Deny {
        reason,
        by,
        undecided,
        notes,
    } = verdict
    else {
        return AppError::Internal("refused() called for an allowed login".into());
    };
    let advice: Vec<String> = notes
        .iter()
        .map(|n| n.advice())
        .filter(|a| !a.is_empty())
        .collect();
    metrics::counter!(crate::metrics::LOGINS_DENIED).increment(1);
    for n in notes.iter().filter(|n| n.absent()) {
        metrics::counter!(crate::metrics::LOGINS_MISSING_CLAIM, "claim" => n.claim.name())
            .increment(1);
    }
    let undecidable: Vec<String> = notes
        .iter()
        .filter(|n| n.undecidable())
        .map(|n| format!("{}: {}", n.claim.name(), n.describe()))
        .collect();
    tracing::warn!(
        target: AUDIT,
        event = "login_denied",
        realm = %realm.name,
        sub = %who.subject,
        username = who.username.as_deref().unwrap_or(""),
        room = room.backend_safe(),
        tenant = tenant.map(Tenant::as_str).unwrap_or(""),
        by = %by,
        reason = reason.as_deref().unwrap_or(""),
        undecided = %undecidable.join("; "),
        missing_mappers = %advice.join("; "),
    );
    let cause = if !undecided {
        DenialCause::Rule
    } else if notes.iter().all(|n| {
        // Asking the user to verify an address helps only when that is all that is missing.
        !n.undecidable()
            || (n.claim == crate::policy::claims::Claim::Email
                && n.reading == crate::policy::who::Reading::NotVerified)
    }) {
        DenialCause::EmailNotVerified
    } else {
        DenialCause::Undecided
    };
    AppError::Denied {
        reason: reason.filter(|_| app.policy.show_reasons),
        advice,
        rule: by,
        cause,
        retry,
    }
}

/// The audit line and the error for a login below the room's level of authentication. The
/// way forward: the same room again (the level asked for again), and Keycloak's account
/// console, where a user without a second factor sets one up.
pub fn too_low_level(
    realm: &crate::shared::Realm,
    who: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
    too_low: TooLow,
    retry: Option<Box<Retry>>,
) -> AppError {
    tracing::warn!(
        target: AUDIT,
        event = "level_too_low",
        realm = %realm.name,
        sub = %who.subject,
        username = who.username.as_deref().unwrap_or(""),
        room = room.backend_safe(),
        tenant = tenant.map(Tenant::as_str).unwrap_or(""),
        by = %too_low.by,
        needed = %too_low.needed,
        reached = %too_low.reached,
    );
    AppError::LevelTooLow {
        account: keycloak_account_console(&realm.issuer),
        too_low,
        retry,
    }
}

/// Keycloak's account console, on the page where a user adds a second factor; `None` for a
/// provider that is not a Keycloak realm (`<base>/realms/<realm>`).
fn keycloak_account_console(issuer: &str) -> Option<String> {
    let issuer = issuer.trim_end_matches('/');
    let (_, realm) = issuer.rsplit_once("/realms/")?;
    (!realm.is_empty() && !realm.contains('/'))
        .then(|| format!("{issuer}/account/account-security/signing-in"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_account_console_is_offered_for_keycloak_realms_only() {
        assert_eq!(
            super::keycloak_account_console("https://sso.example.org/realms/jitsi/").as_deref(),
            Some("https://sso.example.org/realms/jitsi/account/account-security/signing-in")
        );
        assert_eq!(
            super::keycloak_account_console("https://accounts.google.com"),
            None
        );
        assert_eq!(
            super::keycloak_account_console("https://x.example/realms/"),
            None
        );
    }
}
