//! The method table: every call the SDK makes to the frontend API (HTTP
//! method, path, request fields and what a successful answer means), the
//! option schemas of the flows built from several calls, and the decisions
//! that come with redirect flows: PKCE, and which call signs in from a URL.
//! The page reads the table once (`TABLE`) and checks each field with the
//! rule `pkg/validate.js` has for its kind.

use crate::contract::pkce;

/// One row per call, words separated by one space:
///
/// `op verb path signed-in-path answer pkce field…`
///
/// - verb: `GET`, `POST`, `PUT`, `DELETE`; `GO` for a navigation (a path
///   under the base URL, not the frontend API); `-` for the options of a
///   flow the page builds from other rows.
/// - path: `{}` stands for the field marked in-path; signed-in path: used
///   instead while signed in (a secondary factor), or `-`.
/// - answer: `P`lain (a `__user` in it refreshes the cached user), `S`ign-in
///   (it establishes or extends a session) or `U`ser (the answer is the
///   user); followed by `!` when the call needs a session (without one the
///   page refuses it with a usage error and sends nothing).
/// - pkce: `-`, or `start.<flow>.<setting>` / `finish.<flow>.<setting>`: a
///   flow that crosses a redirect keeps a verifier under `<flow>`; a start
///   sends a challenge when the bootstrap `<setting>` says so (empty: always).
/// - field: `name:<kind><flags>`, kind one of `KINDS`, flags a digit of the
///   bits `REQUIRED`, `PAGE_DEFAULT`, `IN_PATH`, `OPTION_ONLY`.
pub const TABLE: &str = "\
magic_links.email.login_or_create POST /magic_links/email/login_or_create - P start.magic_links.pkce_required_for_email_magic_links email:e1 login_magic_link_url:u2 signup_magic_link_url:u2 login_expiration_minutes:l0 signup_expiration_minutes:l0 login_template_id:s0 signup_template_id:s0 locale:s0\n\
magic_links.email.send POST /magic_links/email/send/primary /magic_links/email/send/secondary P start.magic_links.pkce_required_for_email_magic_links email:e1 login_magic_link_url:u2 signup_magic_link_url:u2 login_expiration_minutes:l0 signup_expiration_minutes:l0 login_template_id:s0 signup_template_id:s0 locale:s0\n\
magic_links.authenticate POST /magic_links/authenticate - S finish.magic_links.pkce_required_for_email_magic_links token:t1 session_duration_minutes:d1\n\
otps.sms.login_or_create POST /otps/sms/login_or_create - P - phone_number:p1 expiration_minutes:o0 locale:s0\n\
otps.sms.send POST /otps/sms/send/primary /otps/sms/send/secondary P - phone_number:p1 expiration_minutes:o0 locale:s0\n\
otps.whatsapp.login_or_create POST /otps/whatsapp/login_or_create - P - phone_number:p1 expiration_minutes:o0 locale:s0\n\
otps.whatsapp.send POST /otps/whatsapp/send/primary /otps/whatsapp/send/secondary P - phone_number:p1 expiration_minutes:o0 locale:s0\n\
otps.email.login_or_create POST /otps/email/login_or_create - P - email:e1 expiration_minutes:o0 login_template_id:s0 signup_template_id:s0 locale:s0\n\
otps.email.send POST /otps/email/send/primary /otps/email/send/secondary P - email:e1 expiration_minutes:o0 login_template_id:s0 signup_template_id:s0 locale:s0\n\
otps.authenticate POST /otps/authenticate - S - token:c1 method_id:t1 session_duration_minutes:d1\n\
passwords.create POST /passwords - S - email:e1 password:t1 session_duration_minutes:d1\n\
passwords.authenticate POST /passwords/authenticate - S - email:e1 password:t1 session_duration_minutes:d1\n\
passwords.strength_check POST /passwords/strength_check - P - email:e0 password:t1\n\
passwords.reset_by_email_start POST /passwords/email/reset/start - P start.reset_password.pkce_required_for_password_resets email:e1 login_redirect_url:u2 reset_password_redirect_url:u2 login_expiration_minutes:l0 reset_password_expiration_minutes:l0 reset_password_template_id:s0 locale:s0\n\
passwords.reset_by_email POST /passwords/email/reset - S finish.reset_password.pkce_required_for_password_resets token:t1 password:t1 session_duration_minutes:d1\n\
passwords.reset_by_existing_password POST /passwords/existing_password/reset - S - email:e1 existing_password:t1 new_password:t1 session_duration_minutes:d1\n\
passwords.reset_by_session POST /passwords/session/reset - S - password:t1 session_duration_minutes:d1\n\
oauth.authenticate POST /oauth/authenticate - S finish.oauth. token:t1 session_duration_minutes:d1\n\
oauth.start GO /v1/public/oauth/{}/start - P start.oauth. provider:v5 login_redirect_url:u2 signup_redirect_url:u2 custom_scopes:a0 provider_params:j0\n\
session.authenticate POST /sessions/authenticate - S! - session_duration_minutes:d0\n\
session.revoke POST /sessions/revoke - P - forceClear:b8\n\
session.update_session - - - P - session_token:t1 session_jwt:s0\n\
user.get GET /users/me - U! -\n\
user.update PUT /users/me - P! - name:n0 untrusted_metadata:j0\n\
user.delete_email DELETE /users/emails/{} - P! - email_id:i5\n\
user.delete_phone_number DELETE /users/phone_numbers/{} - P! - phone_id:i5\n\
user.delete_totp DELETE /users/totps/{} - P! - totp_id:i5\n\
user.delete_oauth_registration DELETE /users/oauth/{} - P! - oauth_user_registration_id:i5\n\
user.delete_webauthn_registration DELETE /users/webauthn_registrations/{} - P! - webauthn_registration_id:i5\n\
webauthn.register - - - P! - domain:s0 authenticator_type:k0 is_passkey:b0 session_duration_minutes:d0 override_id:s0 override_name:s0 override_display_name:s0 use_base64_url_encoding:b0\n\
webauthn.register.start POST /webauthn/register/start - P - domain:s1 authenticator_type:k0 return_passkey_credential_options:b0 override_id:s0 override_name:s0 override_display_name:s0 user_agent:s1 use_base64_url_encoding:b0\n\
webauthn.register.finish POST /webauthn/register - S - public_key_credential:t1 session_duration_minutes:d0\n\
webauthn.authenticate - - - P - session_duration_minutes:d1 domain:s0 is_passkey:b0 conditional_mediation:b0 disable_input_check:b0\n\
webauthn.authenticate.start POST /webauthn/authenticate/start/primary /webauthn/authenticate/start/secondary P - domain:s1 return_passkey_credential_options:b0\n\
webauthn.authenticate.finish POST /webauthn/authenticate - S - public_key_credential:t1 session_duration_minutes:d1\n\
webauthn.update PUT /webauthn/update/{} - P! - webauthn_registration_id:i5 name:t1\n\
totps.create POST /totps - P! - expiration_minutes:m0\n\
totps.authenticate POST /totps/authenticate - S! - totp_code:c1 session_duration_minutes:d1\n\
totps.recovery_codes POST /totps/recovery_codes - P! -\n\
totps.recover POST /totps/recover - S! - recovery_code:t1 session_duration_minutes:d1\n\
authenticate_by_url - - - P - session_duration_minutes:d1 href:s8\n\
project.bootstrap GET /projects/bootstrap/{} - P - public_token:s5";

/// The app must give it.
pub const REQUIRED: u8 = 1;
/// Omitted, it is the current page (without query and fragment): a redirect
/// brings the user back to where the flow started.
pub const PAGE_DEFAULT: u8 = 2;
/// It goes into the path (`{}`), not the body; its value must be path-safe
/// because it is interpolated as it is (as Stytch's client does).
pub const IN_PATH: u8 = 4;
/// An option of the SDK: never sent.
pub const OPTION_ONLY: u8 = 8;

/// Field kinds, one letter each; `pkg/validate.js` has the rule of each:
/// e email, p E.164 phone, t non-empty text, s any string, c 6-digit code,
/// d session duration, l link expiry, o code expiry, m TOTP expiry,
/// u absolute http(s) URL, n name object, j object, a string list,
/// b boolean, i path-safe id, k authenticator type, v OAuth provider.
pub const KINDS: &str = "eptscdlomunjabikv";

/// What to do with a redirect flow's verifier before its call: a starting
/// call makes one when the project requires PKCE (`required`) and otherwise
/// forgets any left from an earlier flow, which would not match this one; a
/// finishing call sends the one kept (`kept`), if any. (After a finishing
/// call the verifier is spent, unless the request never reached the server:
/// the page keeps it then, so that trying again remains possible.)
pub fn pkce(start: bool, required: bool, kept: bool) -> u32 {
    match (start, required, kept) {
        (true, true, _) => pkce::CREATE,
        (true, false, _) => pkce::DISCARD,
        (false, _, true) => pkce::SEND,
        (false, _, false) => pkce::NOTHING,
    }
}

/// The call that signs in with a token of `token_type` found in the URL;
/// `None` for tokens the app must handle itself (password resets) or that
/// the SDK does not know.
pub fn url_sign_in(token_type: &str) -> Option<&'static str> {
    match token_type {
        "magic_links" => Some("magic_links.authenticate"),
        "oauth" => Some("oauth.authenticate"),
        _ => None,
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A row of the table, read the way the page reads it.
    pub struct Row<'a> {
        pub op: &'a str,
        pub verb: &'a str,
        pub path: &'a str,
        pub signed_in_path: &'a str,
        pub answer: &'a str,
        pub pkce: &'a str,
        pub fields: Vec<(&'a str, u8, u8)>,
    }

    pub fn rows() -> Vec<Row<'static>> {
        TABLE
            .lines()
            .map(|line| {
                let words: Vec<&str> = line.split(' ').collect();
                assert!(words.len() >= 6, "{line}");
                let fields = words[6..]
                    .iter()
                    .map(|field| {
                        let (name, rest) = field.split_once(':').expect("name:kf");
                        let rest = rest.as_bytes();
                        assert_eq!(rest.len(), 2, "{field}");
                        (name, rest[0], rest[1] - b'0')
                    })
                    .collect();
                Row {
                    op: words[0],
                    verb: words[1],
                    path: words[2],
                    signed_in_path: words[3],
                    answer: words[4],
                    pkce: words[5],
                    fields,
                }
            })
            .collect()
    }

    #[test]
    fn every_row_is_well_formed() {
        let rows = rows();
        for (i, row) in rows.iter().enumerate() {
            assert!(rows[..i].iter().all(|r| r.op != row.op), "{} twice", row.op);
            assert!(
                ["GET", "POST", "PUT", "DELETE", "GO", "-"].contains(&row.verb),
                "{}",
                row.op
            );
            assert!(row.path == "-" || row.path.starts_with('/'), "{}", row.op);
            assert!(
                row.signed_in_path == "-" || row.signed_in_path.starts_with('/'),
                "{}",
                row.op
            );
            assert!(
                ["P", "S", "U", "P!", "S!", "U!"].contains(&row.answer),
                "{}",
                row.op
            );
            if row.pkce != "-" {
                let parts: Vec<&str> = row.pkce.split('.').collect();
                assert!(
                    parts.len() == 3 && ["start", "finish"].contains(&parts[0]),
                    "{}",
                    row.op
                );
            }
            for &(name, kind, flags) in &row.fields {
                assert!(KINDS.as_bytes().contains(&kind), "{}.{name}", row.op);
                assert!(flags < 16, "{}.{name}", row.op);
                assert!(
                    !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                );
            }
            let in_path = row.fields.iter().filter(|f| f.2 & IN_PATH != 0).count();
            assert_eq!(in_path, row.path.matches("{}").count(), "{}", row.op);
            assert!(row.verb != "-" || row.path == "-", "{}", row.op);
        }
        for kind in KINDS.bytes() {
            assert!(
                rows.iter().any(|r| r.fields.iter().any(|f| f.1 == kind)),
                "kind {} unused",
                kind as char
            );
        }
    }

    #[test]
    fn rows_say_what_the_protocol_says() {
        let row = |op: &str| rows().into_iter().find(|r| r.op == op).unwrap();
        let auth = row("passwords.authenticate");
        assert_eq!(
            (auth.verb, auth.path, auth.answer),
            ("POST", "/passwords/authenticate", "S")
        );
        assert_eq!(
            auth.fields,
            vec![
                ("email", b'e', REQUIRED),
                ("password", b't', REQUIRED),
                ("session_duration_minutes", b'd', REQUIRED)
            ]
        );
        let send = row("magic_links.email.send");
        assert_eq!(send.signed_in_path, "/magic_links/email/send/secondary");
        assert_eq!(
            send.pkce,
            "start.magic_links.pkce_required_for_email_magic_links"
        );
        assert!(send
            .fields
            .contains(&("login_magic_link_url", b'u', PAGE_DEFAULT)));
        assert_eq!(row("oauth.authenticate").pkce, "finish.oauth.");
        assert_eq!(
            row("user.delete_email").fields,
            vec![("email_id", b'i', REQUIRED | IN_PATH)]
        );
        assert_eq!(row("user.delete_email").answer, "P!");
        assert!(
            row("totps.recovery_codes").fields.is_empty(),
            "sent without a body"
        );
        assert_eq!(
            row("session.revoke").fields,
            vec![("forceClear", b'b', OPTION_ONLY)]
        );
        let start = row("webauthn.authenticate.start");
        assert_eq!(
            (start.path, start.signed_in_path),
            (
                "/webauthn/authenticate/start/primary",
                "/webauthn/authenticate/start/secondary"
            )
        );
        assert_eq!(row("webauthn.update").path, "/webauthn/update/{}");
        for op in [
            "totps.create",
            "totps.authenticate",
            "totps.recover",
            "webauthn.register",
            "user.get",
            "session.authenticate",
        ] {
            assert!(row(op).answer.ends_with('!'), "{op} needs a session");
        }
        for op in [
            "webauthn.authenticate",
            "webauthn.authenticate.start",
            "passwords.create",
            "session.revoke",
        ] {
            assert!(!row(op).answer.ends_with('!'), "{op} works signed out");
        }
    }

    #[test]
    fn pkce_creates_discards_sends_or_does_nothing() {
        assert_eq!(pkce(true, true, false), pkce::CREATE);
        assert_eq!(
            pkce(true, true, true),
            pkce::CREATE,
            "a new flow gets a new verifier"
        );
        assert_eq!(pkce(true, false, true), pkce::DISCARD);
        assert_eq!(pkce(false, false, true), pkce::SEND);
        assert_eq!(pkce(false, true, false), pkce::NOTHING);
    }

    #[test]
    fn only_magic_links_and_oauth_sign_in_from_the_url() {
        assert_eq!(url_sign_in("magic_links"), Some("magic_links.authenticate"));
        assert_eq!(url_sign_in("oauth"), Some("oauth.authenticate"));
        assert_eq!(url_sign_in("reset_password"), None);
        assert_eq!(url_sign_in(""), None);
        for op in ["magic_links.authenticate", "oauth.authenticate"] {
            assert!(rows().iter().any(|r| r.op == op && r.answer == "S"));
        }
    }
}
