//! TOTP through the official client: create → a code from the tests' own
//! RFC 6238 generator (`server/tests/common/totp.rs`) → authenticate,
//! recovery_codes → recover, users.delete_totp, and the errors.

#[path = "../../server/tests/common/totp.rs"]
mod totp;

use std::time::{SystemTime, UNIX_EPOCH};

use latchkey_conformance::{email, expect_error, ok, Conformance};
use stytch::consumer::{sessions, totps, users};

/// The current code. The server's clock is the system clock (the suite does
/// not move it here); a step boundary in between is within the accepted window.
fn code_now(secret: &[u8]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp::code(secret, now)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_authenticate_recover_and_delete() {
    let t = Conformance::start().await;
    let user = t.sign_up(&email("totp")).await;
    let created = ok(
        "totps.create",
        t.client
            .totps
            .create(totps::CreateRequest {
                user_id: user.user_id.clone(),
                expiration_minutes: Some(60),
            })
            .await,
    );
    assert_eq!(created.status_code.as_u16(), 200);
    assert!(created.totp_id.starts_with("totp-test-"));
    assert!(created.qr_code.starts_with("data:image/png;base64,"));
    assert_eq!(created.recovery_codes.len(), 10);
    assert_eq!(created.user.totps.len(), 1);
    assert!(!created.user.totps[0].verified);
    let secret = totp::base32_decode(&created.secret);

    let code = code_now(&secret);
    let authed = ok(
        "totps.authenticate",
        t.client
            .totps
            .authenticate(totps::AuthenticateRequest {
                user_id: user.user_id.clone(),
                totp_code: code.clone(),
                session_token: Some(user.session_token.clone()),
                session_duration_minutes: Some(60),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(authed.totp_id, created.totp_id);
    assert!(authed.user.totps[0].verified);
    let session = authed.session.expect("the extended session");
    let kinds: Vec<_> = session
        .authentication_factors
        .iter()
        .map(|f| f.type_.clone())
        .collect();
    assert!(matches!(
        kinds[0],
        sessions::AuthenticationFactorType::Password
    ));
    assert!(matches!(kinds[1], sessions::AuthenticationFactorType::TOTP));
    let factor = &session.authentication_factors[1];
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::AuthenticatorApp
    ));
    assert_eq!(
        factor
            .authenticator_app_factor
            .clone()
            .expect("authenticator_app_factor")
            .totp_id,
        created.totp_id
    );
    // The same code again is refused.
    expect_error(
        t.client
            .totps
            .authenticate(totps::AuthenticateRequest {
                user_id: user.user_id.clone(),
                totp_code: code,
                ..Default::default()
            })
            .await,
        401,
        "totp_code_already_authenticated",
    );

    let codes = ok(
        "totps.recovery_codes",
        t.client
            .totps
            .recovery_codes(totps::RecoveryCodesRequest {
                user_id: user.user_id.clone(),
            })
            .await,
    );
    assert_eq!(codes.user_id, user.user_id);
    assert_eq!(codes.totps.len(), 1);
    assert!(codes.totps[0].verified);
    let recovery_code = codes.totps[0].recovery_codes[0].clone();
    let recovered = ok(
        "totps.recover",
        t.client
            .totps
            .recover(totps::RecoverRequest {
                user_id: user.user_id.clone(),
                recovery_code: recovery_code.clone(),
                session_duration_minutes: Some(30),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(recovered.totp_id, created.totp_id);
    let factor = &recovered.session.expect("a session").authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::RecoveryCodes
    ));
    assert!(factor.recovery_code_factor.is_some());
    expect_error(
        t.client
            .totps
            .recover(totps::RecoverRequest {
                user_id: user.user_id.clone(),
                recovery_code,
                ..Default::default()
            })
            .await,
        401,
        "unable_to_authenticate_recovery_code",
    );

    let deleted = ok(
        "users.delete_totp",
        t.client
            .users
            .delete_totp(users::DeleteTOTPRequest {
                totp_id: created.totp_id.clone(),
            })
            .await,
    );
    assert!(deleted.user.totps.is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_decode_in_the_official_client() {
    let t = Conformance::start().await;
    let user = t.sign_up(&email("totp-errors")).await;
    expect_error(
        t.client
            .totps
            .authenticate(totps::AuthenticateRequest {
                user_id: user.user_id.clone(),
                totp_code: "123456".into(),
                ..Default::default()
            })
            .await,
        404,
        "totp_not_found",
    );
    let created = ok(
        "totps.create",
        t.client
            .totps
            .create(totps::CreateRequest {
                user_id: user.user_id.clone(),
                ..Default::default()
            })
            .await,
    );
    let secret = totp::base32_decode(&created.secret);
    let right = code_now(&secret);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    expect_error(
        t.client
            .totps
            .authenticate(totps::AuthenticateRequest {
                user_id: user.user_id.clone(),
                totp_code: wrong,
                ..Default::default()
            })
            .await,
        401,
        "unable_to_authenticate_totp",
    );
    ok(
        "totps.authenticate",
        t.client
            .totps
            .authenticate(totps::AuthenticateRequest {
                user_id: user.user_id.clone(),
                totp_code: right,
                ..Default::default()
            })
            .await,
    );
    expect_error(
        t.client
            .totps
            .create(totps::CreateRequest {
                user_id: user.user_id.clone(),
                ..Default::default()
            })
            .await,
        400,
        "active_totp_exists",
    );
    expect_error(
        t.client
            .totps
            .create(totps::CreateRequest {
                user_id: "user-test-00000000-0000-4000-8000-000000000000".into(),
                ..Default::default()
            })
            .await,
        404,
        "user_not_found",
    );
    t.stop().await;
}
