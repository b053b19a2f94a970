//! One-time passcodes through the official client: SMS, WhatsApp and email
//! login_or_create / send, the code read from `GET /dev/outbox`, then
//! `otps.authenticate` (which the official client sends as `code`).

use latchkey_conformance::{email, expect_error, ok, Conformance};
use stytch::consumer::{otp, otp_email, otp_sms, otp_whatsapp, sessions, users};

fn authenticate(method_id: &str, code: &str) -> otp::AuthenticateRequest {
    otp::AuthenticateRequest {
        method_id: method_id.to_string(),
        code: code.to_string(),
        session_duration_minutes: Some(60),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_login_or_create_then_authenticate() {
    let t = Conformance::start().await;
    let phone = "+15555550123";
    let sent = ok(
        "otps.sms.login_or_create",
        t.client
            .otps
            .sms
            .login_or_create(otp_sms::LoginOrCreateRequest {
                phone_number: phone.into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(sent.status_code.as_u16(), 200);
    assert!(sent.user_created);
    assert!(sent.phone_id.starts_with("phone-number-test-"));
    let message = t.last_message(phone).await;
    assert_eq!(message["channel"], "sms");
    let code = t.last_code(phone).await;
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );

    let authed = ok(
        "otps.authenticate(sms)",
        t.client
            .otps
            .authenticate(authenticate(&sent.phone_id, &code))
            .await,
    );
    assert_eq!(authed.status_code.as_u16(), 200);
    assert_eq!(authed.user_id, sent.user_id);
    assert_eq!(authed.method_id, sent.phone_id);
    assert!(!authed.reset_sessions);
    assert_eq!(authed.user.status, "active");
    assert_eq!(authed.user.phone_numbers[0].phone_number, phone);
    assert!(authed.user.phone_numbers[0].verified);
    let session = authed.session.clone().expect("a session");
    let factor = &session.authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::OTP
    ));
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::Sms
    ));
    let phone_factor = factor
        .phone_number_factor
        .clone()
        .expect("phone_number_factor");
    assert_eq!(phone_factor.phone_id, sent.phone_id);
    assert_eq!(phone_factor.phone_number, phone);

    // Single use.
    expect_error(
        t.client
            .otps
            .authenticate(authenticate(&sent.phone_id, &code))
            .await,
        404,
        "otp_code_not_found",
    );

    // An existing number: login_or_create finds the user; send works too.
    let again = ok(
        "otps.sms.send",
        t.client
            .otps
            .sms
            .send(otp_sms::SendRequest {
                phone_number: phone.into(),
                expiration_minutes: Some(5),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(again.user_id, sent.user_id);
    assert_eq!(again.phone_id, sent.phone_id);
    let code = t.last_code(phone).await;
    // A wrong code is counted; the right one still works afterwards.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    expect_error(
        t.client
            .otps
            .authenticate(authenticate(&sent.phone_id, wrong))
            .await,
        401,
        "unable_to_auth_otp_code",
    );
    let extended = ok(
        "otps.authenticate(session_token)",
        t.client
            .otps
            .authenticate(otp::AuthenticateRequest {
                session_token: Some(authed.session_token.clone()),
                ..authenticate(&sent.phone_id, &code)
            })
            .await,
    );
    assert_eq!(
        extended.session.expect("a session").session_id,
        session.session_id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_and_whatsapp() {
    let t = Conformance::start().await;
    let address = email("otp");
    let sent = ok(
        "otps.email.login_or_create",
        t.client
            .otps
            .email
            .login_or_create(otp_email::LoginOrCreateRequest {
                email: address.clone(),
                ..Default::default()
            })
            .await,
    );
    assert!(sent.user_created);
    assert!(sent.email_id.starts_with("email-test-"));
    let message = t.last_message(&address).await;
    assert_eq!(message["channel"], "email");
    let code = t.last_code(&address).await;
    let authed = ok(
        "otps.authenticate(email)",
        t.client
            .otps
            .authenticate(authenticate(&sent.email_id, &code))
            .await,
    );
    assert_eq!(authed.method_id, sent.email_id);
    assert!(authed.user.emails[0].verified);
    let factor = &authed
        .session
        .as_ref()
        .expect("a session")
        .authentication_factors[0];
    assert!(matches!(
        factor.type_,
        sessions::AuthenticationFactorType::OTP
    ));
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::Email
    ));
    assert_eq!(
        factor
            .email_factor
            .as_ref()
            .map(|f| f.email_address.as_str()),
        Some(address.as_str())
    );

    // Email send to an existing address.
    let resent = ok(
        "otps.email.send",
        t.client
            .otps
            .email
            .send(otp_email::SendRequest {
                email: address.clone(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(resent.email_id, sent.email_id);

    // WhatsApp: same flow, its own channel.
    let phone = "+447700900123";
    let wa = ok(
        "otps.whatsapp.login_or_create",
        t.client
            .otps
            .whatsapp
            .login_or_create(otp_whatsapp::LoginOrCreateRequest {
                phone_number: phone.into(),
                ..Default::default()
            })
            .await,
    );
    assert!(wa.user_created);
    let message = t.last_message(phone).await;
    assert_eq!(message["channel"], "whatsapp");
    let code = t.last_code(phone).await;
    let authed = ok(
        "otps.authenticate(whatsapp)",
        t.client
            .otps
            .authenticate(authenticate(&wa.phone_id, &code))
            .await,
    );
    let factor = &authed
        .session
        .as_ref()
        .expect("a session")
        .authentication_factors[0];
    assert!(matches!(
        factor.delivery_method,
        sessions::AuthenticationFactorDeliveryMethod::WhatsApp
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_expiry_and_errors() {
    let t = Conformance::start().await;
    let address = email("otpattach");
    let user = ok(
        "users.create",
        t.client
            .users
            .create(users::CreateRequest {
                email: Some(address.clone()),
                ..Default::default()
            })
            .await,
    );
    // send with user_id adds the number to that user once the code is used.
    let phone = "+15555550177";
    let sent = ok(
        "otps.sms.send(user_id)",
        t.client
            .otps
            .sms
            .send(otp_sms::SendRequest {
                phone_number: phone.into(),
                user_id: Some(user.user_id.clone()),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(sent.user_id, user.user_id);
    let code = t.last_code(phone).await;
    let authed = ok(
        "otps.authenticate(attach, no duration)",
        t.client
            .otps
            .authenticate(otp::AuthenticateRequest {
                session_duration_minutes: None,
                ..authenticate(&sent.phone_id, &code)
            })
            .await,
    );
    assert!(authed.session.is_none());
    assert_eq!(authed.user.phone_numbers[0].phone_id, sent.phone_id);

    // Expiry: the default is 2 minutes.
    ok(
        "otps.sms.send",
        t.client
            .otps
            .sms
            .send(otp_sms::SendRequest {
                phone_number: phone.into(),
                ..Default::default()
            })
            .await,
    );
    let code = t.last_code(phone).await;
    t.advance_clock(121).await;
    expect_error(
        t.client
            .otps
            .authenticate(authenticate(&sent.phone_id, &code))
            .await,
        404,
        "otp_code_not_found",
    );

    expect_error(
        t.client
            .otps
            .sms
            .send(otp_sms::SendRequest {
                phone_number: "+15555550999".into(),
                ..Default::default()
            })
            .await,
        404,
        "phone_number_not_found",
    );
    expect_error(
        t.client
            .otps
            .sms
            .login_or_create(otp_sms::LoginOrCreateRequest {
                phone_number: "5550100".into(),
                ..Default::default()
            })
            .await,
        400,
        "invalid_phone_number",
    );
    expect_error(
        t.client
            .otps
            .email
            .login_or_create(otp_email::LoginOrCreateRequest {
                email: "nope".into(),
                ..Default::default()
            })
            .await,
        400,
        "invalid_email",
    );
}
