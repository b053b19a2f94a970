//! Password hashing (Argon2id) and strength evaluation (zxcvbn, LUDS, a local breach list).
//!
//! Hashing and verification are CPU- and memory-heavy on purpose: they run
//! on tokio's blocking pool ([`hash`], [`verify`]), never under the database
//! lock, and at most [`hash_slots`] of them at once so a burst of logins
//! queues instead of allocating 19 MiB per request without bound.
//!
//! Strength: [`evaluate`] scores a password with zxcvbn (with the email as
//! user input) and against the project's LUDS policy, and decides whether it
//! is "breached" — here, a whole-password match of zxcvbn's ranked list of
//! the most common passwords from public breach corpora (there is no network
//! access, so no HaveIBeenPwned lookup).

use std::sync::{Arc, OnceLock};

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Algorithm, Argon2, Params, Version,
};
use serde::Serialize;
use tokio::sync::Semaphore;
use zxcvbn::matching::patterns::MatchPattern;

use crate::{
    error::{ApiError, ApiResult, ErrorType},
    ids,
    store::project::PasswordConfig,
};

/// OWASP's Argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
pub const ARGON2_M_COST_KIB: u32 = 19 * 1024;
pub const ARGON2_T_COST: u32 = 2;
pub const ARGON2_P_COST: u32 = 1;
const SALT_BYTES: usize = 16;

/// Longest password accepted anywhere (characters). Longer input is a 400
/// `bad_request`: nobody types more, and it bounds the hashing input.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// zxcvbn score a password needs under the zxcvbn policy (0..=4).
pub const MIN_ZXCVBN_SCORE: u8 = 3;

/// The LUDS policy reported (informationally) when the project enforces
/// zxcvbn: 8 characters, 3 of the 4 character kinds.
pub const REFERENCE_LUDS: PasswordConfig = PasswordConfig {
    luds_complexity: 3,
    luds_minimum_count: 8,
};

fn argon2() -> Argon2<'static> {
    // The parameters are constants within Argon2's limits; failing here is a
    // programming error caught by every test that hashes.
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How many hashes may run at once: one per core (at least 1, at most 8).
pub fn hash_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

fn semaphore() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(hash_slots())))
}

/// Runs CPU-heavy password work on the blocking pool, within the slot limit.
/// The slot moves into the blocking task, so a request cancelled while it
/// hashes still holds its slot until the hash is done.
async fn run_limited<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let permit = semaphore()
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(format_args!("password hashing slots closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let value = work();
        drop(permit);
        value
    })
    .await
    .map_err(|e| ApiError::internal(format_args!("password hashing task failed: {e}")))
}

/// Argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`.
pub fn hash_blocking(password: &str) -> ApiResult<String> {
    let salt = ids::random_bytes::<SALT_BYTES>();
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(format_args!("argon2 hashing failed: {e}")))
}

/// Whether `password` matches the PHC string `stored` (parameters are read
/// from the string). A malformed stored hash never matches.
pub fn verify_blocking(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        // The output comparison inside is constant-time.
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random secret with the production parameters: what unknown
/// emails are verified against, so they cost the same time as a real account.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(&ids::random_token::<24>()).unwrap_or_else(|_| {
            // Unreachable with valid constants; keep a well-formed fallback
            // with the same parameters so timing stays comparable.
            "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$hZ63CwPdW8U6R3z/5nNiqzXxgnnTJlUdSBCwv4l7Yjk"
                .to_string()
        })
    })
}

/// Computes the dummy hash in the background so the first unknown-email
/// attempt costs no more than later ones.
pub fn warm_up() {
    std::thread::spawn(|| {
        dummy_hash();
    });
}

/// Hashes `password` (blocking pool, slot-limited).
pub async fn hash(password: String) -> ApiResult<String> {
    run_limited(move || hash_blocking(&password)).await?
}

/// Verifies `password` against `stored`, or against the dummy hash when
/// there is no stored hash (unknown email, user without a password): the
/// caller cannot tell the cases apart by time. `false` for the dummy.
pub async fn verify(password: String, stored: Option<String>) -> ApiResult<bool> {
    run_limited(move || match stored {
        Some(stored) => verify_blocking(&password, &stored),
        None => {
            verify_blocking(&password, dummy_hash());
            false
        }
    })
    .await
}

/// 400 `bad_request` for a password longer than [`MAX_PASSWORD_CHARS`], or
/// (when `allow_empty` is false) an empty one; `field` names it.
pub fn check_length(field: &str, password: &str, allow_empty: bool) -> ApiResult<()> {
    if !allow_empty && password.is_empty() {
        return Err(ApiError::bad_request(format!(
            "`{field}` must not be empty."
        )));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "`{field}` may be at most {MAX_PASSWORD_CHARS} characters."
        )));
    }
    Ok(())
}

// ---- strength -------------------------------------------------------------

/// Which policy decides `valid_password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// zxcvbn score ≥ 3 and not breached (the default).
    Zxcvbn,
    /// The project's LUDS policy and not breached.
    Luds(u32, u32),
}

impl Policy {
    /// The project's policy: LUDS when `password_config` is set, else zxcvbn.
    pub fn for_project(config: Option<&PasswordConfig>) -> Policy {
        match config {
            Some(c) => Policy::Luds(c.luds_complexity, c.luds_minimum_count),
            None => Policy::Zxcvbn,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Zxcvbn => "zxcvbn",
            Policy::Luds(..) => "luds",
        }
    }
}

/// `feedback.luds_requirements` of the strength check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LudsRequirements {
    pub has_lower_case: bool,
    pub has_upper_case: bool,
    pub has_digit: bool,
    /// Anything that is not an ASCII letter or digit (spaces, punctuation, non-ASCII).
    pub has_symbol: bool,
    pub missing_complexity: u32,
    pub missing_characters: u32,
}

impl LudsRequirements {
    pub fn measure(password: &str, complexity: u32, minimum_count: u32) -> LudsRequirements {
        let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
        let has_lower_case = has(char::is_ascii_lowercase);
        let has_upper_case = has(char::is_ascii_uppercase);
        let has_digit = has(char::is_ascii_digit);
        let has_symbol = has(|c| !c.is_ascii_alphanumeric());
        let kinds = [has_lower_case, has_upper_case, has_digit, has_symbol]
            .iter()
            .filter(|k| **k)
            .count() as u32;
        let length = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
        LudsRequirements {
            has_lower_case,
            has_upper_case,
            has_digit,
            has_symbol,
            missing_complexity: complexity.min(4).saturating_sub(kinds),
            missing_characters: minimum_count.saturating_sub(length),
        }
    }

    pub fn satisfied(&self) -> bool {
        self.missing_complexity == 0 && self.missing_characters == 0
    }

    /// Human hints for what is missing (empty when satisfied).
    pub fn hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
        if self.missing_characters > 0 {
            let n = self.missing_characters;
            hints.push(format!(
                "Add {n} more character{}.",
                if n == 1 { "" } else { "s" }
            ));
        }
        if self.missing_complexity > 0 {
            let mut kinds = Vec::new();
            if !self.has_lower_case {
                kinds.push("a lowercase letter");
            }
            if !self.has_upper_case {
                kinds.push("an uppercase letter");
            }
            if !self.has_digit {
                kinds.push("a digit");
            }
            if !self.has_symbol {
                kinds.push("a symbol");
            }
            let n = self.missing_complexity;
            hints.push(format!(
                "Use {n} more kind{} of character: {}.",
                if n == 1 { "" } else { "s" },
                kinds.join(", ")
            ));
        }
        hints
    }
}

/// `feedback` of the strength check: `warning` is `""` and `suggestions`
/// `[]` when there is nothing to say (never null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub warning: String,
    pub suggestions: Vec<String>,
    pub luds_requirements: LudsRequirements,
}

/// The whole verdict on a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    pub policy: Policy,
    pub valid: bool,
    /// zxcvbn's score 0..=4 (reported under both policies).
    pub score: u8,
    pub breached: bool,
    pub feedback: Feedback,
}

const BREACHED_WARNING: &str = "This password is on a list of commonly used, breached passwords.";

/// The strings zxcvbn should penalise: the email, its local part and the
/// words of both (`ada.lovelace@example.com` → `ada`, `lovelace`, `example`).
pub fn user_inputs(email: Option<&str>) -> Vec<String> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Vec::new();
    };
    let email = email.to_lowercase();
    let mut inputs = vec![email.clone()];
    if let Some((local, domain)) = email.rsplit_once('@') {
        inputs.push(local.to_string());
        let words = local.split(|c: char| !c.is_alphanumeric()).chain(
            domain
                .split('.')
                .take(domain.split('.').count().saturating_sub(1)),
        );
        for word in words {
            if word.chars().count() >= 3 && !inputs.iter().any(|i| i == word) {
                inputs.push(word.to_string());
            }
        }
    }
    inputs
}

/// Whether the whole password is one entry of zxcvbn's ranked list of
/// common passwords (compared case-insensitively; reversed and l33t-spelled
/// entries count too, as zxcvbn matches them).
fn is_breached(entropy: &zxcvbn::Entropy, password: &str) -> bool {
    let last = password.chars().count().saturating_sub(1);
    entropy.sequence().iter().any(|m| {
        m.i == 0
            && m.j == last
            && matches!(
                &m.pattern,
                // `DictionaryType` is not exported by zxcvbn; its default
                // variant is the passwords list (guarded by a unit test).
                MatchPattern::Dictionary(d) if d.dictionary_name == Default::default()
            )
    })
}

/// Scores `password` under `policy` (CPU work: call from the blocking pool
/// or through [`evaluate`]).
pub fn evaluate_blocking(password: &str, email: Option<&str>, policy: Policy) -> Strength {
    let inputs = user_inputs(email);
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let entropy = zxcvbn::zxcvbn(password, &inputs);
    let score = u8::from(entropy.score());
    let breached = !password.is_empty() && is_breached(&entropy, password);
    let (complexity, minimum) = match policy {
        Policy::Luds(c, m) => (c, m),
        Policy::Zxcvbn => (
            REFERENCE_LUDS.luds_complexity,
            REFERENCE_LUDS.luds_minimum_count,
        ),
    };
    let luds = LudsRequirements::measure(password, complexity, minimum);
    let (valid, mut warning, suggestions) = match policy {
        Policy::Zxcvbn => {
            let valid = score >= MIN_ZXCVBN_SCORE && !breached;
            let (warning, suggestions) = match entropy.feedback() {
                Some(f) if !valid => (
                    f.warning().map(|w| w.to_string()).unwrap_or_default(),
                    f.suggestions().iter().map(ToString::to_string).collect(),
                ),
                _ => (String::new(), Vec::new()),
            };
            (valid, warning, suggestions)
        }
        Policy::Luds(..) => (luds.satisfied() && !breached, String::new(), luds.hints()),
    };
    if breached && warning.is_empty() {
        warning = BREACHED_WARNING.to_string();
    }
    Strength {
        policy,
        valid,
        score,
        breached,
        feedback: Feedback {
            warning,
            suggestions,
            luds_requirements: luds,
        },
    }
}

/// [`evaluate_blocking`] on the blocking pool.
pub async fn evaluate(
    password: String,
    email: Option<String>,
    policy: Policy,
) -> ApiResult<Strength> {
    tokio::task::spawn_blocking(move || evaluate_blocking(&password, email.as_deref(), policy))
        .await
        .map_err(|e| ApiError::internal(format_args!("strength check task failed: {e}")))
}

impl Strength {
    /// The error that refuses this password when setting it: 400
    /// `breached_password` for a listed one, 400 `weak_password` for any
    /// other invalid one; the message carries the feedback.
    pub fn refusal(&self) -> Option<ApiError> {
        if self.valid {
            return None;
        }
        let mut reasons = Vec::new();
        if !self.feedback.warning.is_empty() {
            reasons.push(self.feedback.warning.clone());
        }
        reasons.extend(self.feedback.suggestions.iter().cloned());
        let detail = if reasons.is_empty() {
            String::new()
        } else {
            format!(" {}", reasons.join(" "))
        };
        Some(if self.breached {
            ApiError::new(
                ErrorType::BreachedPassword,
                format!("This password is on a list of commonly used, breached passwords; choose another.{detail}"),
            )
        } else {
            let why = match self.policy {
                Policy::Zxcvbn => format!(
                    "The password is too weak (strength score {} of 4, {MIN_ZXCVBN_SCORE} needed).",
                    self.score
                ),
                Policy::Luds(c, m) => format!(
                    "The password does not meet the policy (at least {m} characters using {c} of: lowercase, uppercase, digits, symbols)."
                ),
            };
            ApiError::new(ErrorType::WeakPassword, format!("{why}{detail}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_blocking("correct horse battery staple").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("correct horse battery staple", &hash));
        assert!(!verify_blocking("correct horse battery stapl", &hash));
        assert!(!verify_blocking("anything", "not a phc string"));
        // Salted: the same password hashes differently.
        assert_ne!(hash, hash_blocking("correct horse battery staple").unwrap());
        assert!(dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[test]
    fn the_breach_list_is_zxcvbns_password_dictionary() {
        // Guards the `Default::default()` comparison in `is_breached`.
        for listed in [
            "password", "Password", "p@ssw0rd", "qwerty", "hunter2", "drowssap",
        ] {
            let s = evaluate_blocking(listed, None, Policy::Zxcvbn);
            assert!(s.breached, "{listed}");
            assert!(!s.valid);
            assert!(s.refusal().unwrap().is(ErrorType::BreachedPassword));
        }
        // A dictionary word that is not a whole-list entry, and user inputs, are not "breached".
        for fine in ["Password1!", "lovelace", "Xk9#mQ2$vL7p", ""] {
            assert!(
                !evaluate_blocking(fine, Some("ada.lovelace@example.com"), Policy::Zxcvbn).breached,
                "{fine}"
            );
        }
    }

    #[test]
    fn zxcvbn_policy_feedback() {
        let strong = evaluate_blocking("vRIQomL!faE2S44s", Some("a@b.co"), Policy::Zxcvbn);
        assert!(strong.valid);
        assert_eq!(strong.score, 4);
        assert_eq!(strong.feedback.warning, "");
        assert!(strong.feedback.suggestions.is_empty());
        assert!(strong.refusal().is_none());

        let weak = evaluate_blocking("kitten7", None, Policy::Zxcvbn);
        assert!(!weak.valid && !weak.breached);
        assert!(weak.score < 3);
        assert!(!weak.feedback.suggestions.is_empty());
        let err = weak.refusal().unwrap();
        assert!(err.is(ErrorType::WeakPassword));
        assert!(err.message.contains("too weak"), "{}", err.message);
        assert!(err.message.contains(&weak.feedback.suggestions[0]));
    }

    #[test]
    fn the_email_counts_against_the_password() {
        let without = evaluate_blocking("lovelace1815", None, Policy::Zxcvbn);
        let with = evaluate_blocking(
            "lovelace1815",
            Some("ada.lovelace@example.com"),
            Policy::Zxcvbn,
        );
        assert!(
            with.score < without.score,
            "{} vs {}",
            with.score,
            without.score
        );
        assert_eq!(
            user_inputs(Some("Ada.Lovelace@Example.com")),
            vec![
                "ada.lovelace@example.com",
                "ada.lovelace",
                "ada",
                "lovelace",
                "example"
            ]
        );
        assert!(user_inputs(None).is_empty());
    }

    #[test]
    fn luds_policy() {
        let policy = Policy::Luds(3, 10);
        let s = evaluate_blocking("abcdef", None, policy);
        assert!(!s.valid);
        let luds = &s.feedback.luds_requirements;
        assert!(luds.has_lower_case && !luds.has_upper_case && !luds.has_digit && !luds.has_symbol);
        assert_eq!(luds.missing_complexity, 2);
        assert_eq!(luds.missing_characters, 4);
        assert_eq!(s.feedback.suggestions.len(), 2);
        assert!(s.refusal().unwrap().is(ErrorType::WeakPassword));

        let ok = evaluate_blocking("Tulip-Garden7", None, policy);
        assert!(ok.valid, "{ok:?}");
        assert!(ok.feedback.suggestions.is_empty());
        assert_eq!(ok.policy.name(), "luds");
        // é is a symbol (outside a-z, A-Z), as in Stytch's definition.
        assert!(LudsRequirements::measure("é", 1, 1).has_symbol);
        // A listed password fails LUDS too, as breached.
        let listed = evaluate_blocking("Password1", None, Policy::Luds(3, 8));
        assert!(listed.breached && !listed.valid);
    }

    #[test]
    fn lengths() {
        check_length("password", &"x".repeat(MAX_PASSWORD_CHARS), false).unwrap();
        let err = check_length("password", &"x".repeat(MAX_PASSWORD_CHARS + 1), false).unwrap_err();
        assert!(err.message.contains("`password`"));
        assert!(check_length("password", "", false).is_err());
        check_length("password", "", true).unwrap();
    }
}
