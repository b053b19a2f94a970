//! The development identity provider: the consent page an OAuth start
//! redirects to, standing in for Google, GitHub, … on this machine.
//!
//! `GET /idp/{provider}/authorize?state=…` shows which app asked, the
//! scopes, preset test accounts and a form (email, first/last name, provider
//! subject) with Allow and Cancel. `POST` to the same path decides; Allow
//! answers 303 to the app with `stytch_token_type=oauth&token=…`, Cancel 303
//! with `error=access_denied`. Everything is server-rendered HTML without
//! scripts or external assets.
//!
//! The pages live under `/idp`, not `/dev`, because the error normaliser
//! turns every non-JSON error under `/dev` into a JSON body, while these
//! pages must show HTML errors (unknown, used or expired requests) to a
//! person in a browser.
//!
//! Stable hooks for tests (Playwright): the form `#consent`, inputs `#email`,
//! `#first_name`, `#last_name`, `#provider_subject` (same `name`s), the
//! buttons `#allow` and `#cancel`, preset buttons `#preset-ada`,
//! `#preset-grace`, `#preset-alan`, and the error message `#form-error`.

use axum::{
    extract::{
        rejection::{FormRejection, QueryRejection},
        Path, Query, State,
    },
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Form, Router,
};
use serde::Deserialize;

use crate::{
    api::oauth::{self, Flow, FlowProblem, Identity},
    clock::Timestamp,
    dev::escape,
    error::ApiError,
    http::ClientInfo,
    ratelimit,
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/idp/{provider}/authorize", get(page).post(consent))
}

/// Preset identities offered on every provider's page: (id, first, last, email).
pub const PRESETS: [(&str, &str, &str, &str); 3] = [
    ("ada", "Ada", "Lovelace", "ada@example.com"),
    ("grace", "Grace", "Hopper", "grace@example.com"),
    ("alan", "Alan", "Turing", "alan@example.com"),
];

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    state: Option<String>,
}

/// The consent form as posted (every field optional: checked by hand so
/// that problems are shown on the page).
#[derive(Debug, Default, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    provider_subject: String,
}

fn security_headers(response: &mut Response) {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security_headers(&mut response);
    response
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            security_headers(&mut response);
            response
        }
        Err(_) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot redirect",
            "The redirect URL of this request cannot be used in a Location header.",
        ),
    }
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5c5c66; --line: #d2d2d7; --bg: #f5f5f7; --card: #fff; --accent: #0b57d0; --danger: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --fg: #f2f2f7; --muted: #a1a1aa; --line: #3a3a40; --bg: #111114; --card: #1c1c21; --accent: #8ab4f8; --danger: #f2b8b5; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 32rem; margin: 2rem auto; padding: 1.75rem; background: var(--card); border: 1px solid var(--line); border-radius: 12px; }
h1 { font-size: 1.5rem; margin: .25rem 0 .75rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
p { margin: .5rem 0; }
.badge { display: inline-block; font-size: .8rem; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: .1rem .6rem; margin: 0; }
.muted, .hint { color: var(--muted); }
.hint { font-size: .85rem; margin: .25rem 0 0; }
.scopes { display: flex; flex-wrap: wrap; gap: .35rem; list-style: none; padding: 0; margin: .25rem 0; }
.scopes li { font: .8rem ui-monospace, monospace; border: 1px solid var(--line); border-radius: 6px; padding: .1rem .4rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem .75rem; font-size: .9rem; }
dt { font-family: ui-monospace, monospace; }
dd { margin: 0; overflow-wrap: anywhere; }
.presets { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
.presets form { margin: 0; }
.preset { width: 100%; text-align: left; display: flex; justify-content: space-between; gap: 1rem; }
.preset .email { color: var(--muted); }
.field { margin: .9rem 0; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: .75rem; }
.row .field { margin: 0; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.optional { font-weight: 400; color: var(--muted); }
input { width: 100%; font: inherit; padding: .5rem .6rem; border: 1px solid var(--line); border-radius: 8px; background: transparent; color: inherit; }
button { font: inherit; padding: .55rem 1rem; border-radius: 8px; border: 1px solid var(--line); background: transparent; color: inherit; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
@media (prefers-color-scheme: dark) { button.primary { color: #111; } }
input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
.error { color: var(--danger); border: 1px solid var(--danger); border-radius: 8px; padding: .5rem .75rem; }
.foot { font-size: .85rem; color: var(--muted); margin-top: 1.5rem; }
"#;

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body><main>\n{body}</main></body></html>\n",
        escape(title)
    )
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<p class=\"badge\">Development identity provider · latchkey-server</p>\n\
         <h1>{}</h1>\n<p id=\"error-message\" role=\"alert\">{}</p>\n\
         <p class=\"muted\">HTTP {}</p>\n",
        escape(title),
        escape(message),
        status.as_u16()
    );
    html(status, document(title, &body))
}

fn flow_problem(problem: FlowProblem) -> Response {
    let title = match problem {
        FlowProblem::Unknown => "Unknown sign-in request",
        FlowProblem::Used => "Sign-in request already answered",
        FlowProblem::Expired => "Sign-in request expired",
        FlowProblem::OtherProvider => "Wrong provider",
    };
    error_page(problem.status(), title, problem.message())
}

fn api_failure(err: ApiError) -> Response {
    let status = if err.status.is_client_error() || err.status.is_server_error() {
        err.status
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    error_page(status, "Sign-in failed", &err.message)
}

/// `scheme://host[:port]` of a URL, for "which app asked".
fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

/// What the custom-identity form shows (the tester's input after an error).
#[derive(Debug, Default, Clone)]
struct Values {
    email: String,
    first_name: String,
    last_name: String,
    provider_subject: String,
}

fn render_consent(
    state: &AppState,
    state_token: &str,
    flow: &Flow,
    values: &Values,
    error: Option<&str>,
) -> String {
    let provider = flow.provider.display_name;
    let action = escape(&format!("/idp/{}/authorize", flow.provider.name));
    let token = escape(state_token);
    let hidden_state = format!("<input type=\"hidden\" name=\"state\" value=\"{token}\">");
    let project = escape(&state.project.settings.project_name);
    let origin = escape(origin_of(&flow.login_redirect_url));

    let scopes: String = flow
        .scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let params = if flow.provider_params.is_empty() {
        String::new()
    } else {
        let rows: String = flow
            .provider_params
            .iter()
            .map(|(k, v)| {
                format!(
                    "<dt>{}</dt><dd>{}</dd>",
                    escape(k),
                    escape(v.as_str().unwrap_or_default())
                )
            })
            .collect();
        format!("<h2 id=\"params-heading\">Provider parameters</h2>\n<dl aria-labelledby=\"params-heading\">{rows}</dl>\n")
    };
    let presets: String = PRESETS
        .iter()
        .map(|(id, first, last, email)| {
            format!(
                "<li><form method=\"post\" action=\"{action}\">{hidden_state}\
                 <input type=\"hidden\" name=\"decision\" value=\"allow\">\
                 <input type=\"hidden\" name=\"email\" value=\"{email}\">\
                 <input type=\"hidden\" name=\"first_name\" value=\"{first}\">\
                 <input type=\"hidden\" name=\"last_name\" value=\"{last}\">\
                 <button type=\"submit\" class=\"preset\" id=\"preset-{id}\">\
                 <span class=\"name\">{first} {last}</span><span class=\"email\">{email}</span></button>\
                 </form></li>\n"
            )
        })
        .collect();
    let (error_html, email_described, invalid) = match error {
        Some(message) => (
            format!(
                "<p id=\"form-error\" class=\"error\" role=\"alert\">{}</p>\n",
                escape(message)
            ),
            "email-hint form-error",
            " aria-invalid=\"true\"",
        ),
        None => (String::new(), "email-hint", ""),
    };
    let expires = Timestamp(flow.expires_at).to_rfc3339();
    let body = format!(
        r#"<p class="badge">Development identity provider · latchkey-server</p>
<h1>Sign in with {provider}</h1>
<p><strong>{project}</strong> at <strong>{origin}</strong> asks to sign you in with a {provider} account.</p>
<p class="muted">It will receive these scopes:</p>
<ul class="scopes" aria-label="Requested scopes">{scopes}</ul>
{params}<h2 id="presets-heading">Choose a test account</h2>
<ul class="presets" aria-labelledby="presets-heading">
{presets}</ul>
<h2 id="custom-heading">Or describe an identity</h2>
<form id="consent" method="post" action="{action}" aria-labelledby="custom-heading">
{error_html}{hidden_state}
<div class="field"><label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" spellcheck="false" value="{email}" aria-describedby="{email_described}"{invalid} autofocus>
<p id="email-hint" class="hint">The provider reports it as verified. Leave it empty for an account without email (then give a subject).</p></div>
<div class="row">
<div class="field"><label for="first_name">First name <span class="optional">(optional)</span></label>
<input id="first_name" name="first_name" autocomplete="given-name" value="{first_name}"></div>
<div class="field"><label for="last_name">Last name <span class="optional">(optional)</span></label>
<input id="last_name" name="last_name" autocomplete="family-name" value="{last_name}"></div>
</div>
<div class="field"><label for="provider_subject">Provider subject <span class="optional">(optional)</span></label>
<input id="provider_subject" name="provider_subject" spellcheck="false" value="{subject}" aria-describedby="subject-hint">
<p id="subject-hint" class="hint">The account's id at {provider}. Empty: derived from the email, so the same email is always the same account.</p></div>
<div class="actions">
<button type="submit" id="allow" name="decision" value="allow" class="primary">Allow</button>
<button type="submit" id="cancel" name="decision" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
<p class="foot">This page stands in for {provider}; nothing leaves this machine. Allow signs in (or signs up) the account above and returns to the app. This request expires at {expires}.</p>
"#,
        email = escape(&values.email),
        first_name = escape(&values.first_name),
        last_name = escape(&values.last_name),
        subject = escape(&values.provider_subject),
    );
    document(&format!("Sign in with {provider} · development"), &body)
}

/// `GET /idp/{provider}/authorize?state=…`
async fn page(
    State(state): State<AppState>,
    Path(provider_name): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    if oauth::provider(&provider_name).is_none() {
        return error_page(
            StatusCode::NOT_FOUND,
            "Unknown provider",
            &format!("This development identity provider does not stand in for {provider_name:?}."),
        );
    }
    let Some(state_token) = query
        .ok()
        .and_then(|Query(q)| q.state)
        .filter(|s| !s.is_empty())
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Missing sign-in request",
            "This page needs the `state` of a sign-in request. Start signing in from the app.",
        );
    };
    match oauth::find_flow(&state, &provider_name, &state_token).await {
        Ok(Ok(flow)) => html(
            StatusCode::OK,
            render_consent(&state, &state_token, &flow, &Values::default(), None),
        ),
        Ok(Err(problem)) => flow_problem(problem),
        Err(err) => api_failure(err),
    }
}

/// `POST /idp/{provider}/authorize` (form): Allow or Cancel. Rate limited
/// per client IP ([`ratelimit::IDP_CONSENT`]) once the form is readable,
/// before the flow is looked up: 429 as an HTML page.
async fn consent(
    State(state): State<AppState>,
    Path(provider_name): Path<String>,
    client: ClientInfo,
    form: Result<Form<ConsentForm>, FormRejection>,
) -> Response {
    if oauth::provider(&provider_name).is_none() {
        return error_page(
            StatusCode::NOT_FOUND,
            "Unknown provider",
            &format!("This development identity provider does not stand in for {provider_name:?}."),
        );
    }
    let Form(form) = match form {
        Ok(form) => form,
        Err(rejection) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unreadable form",
                &format!("The form could not be read: {}", rejection.body_text()),
            )
        }
    };
    if form.state.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Missing sign-in request",
            "The form carried no `state`. Start signing in from the app.",
        );
    }
    if let Err(err) = state.limiter.check_ip(&ratelimit::IDP_CONSENT, client.ip) {
        return error_page(err.status, "Too many sign-in attempts", &err.message);
    }
    match form.decision.as_str() {
        "cancel" => match oauth::cancel(&state, &provider_name, &form.state).await {
            Ok(Ok(location)) => see_other(&location),
            Ok(Err(problem)) => flow_problem(problem),
            Err(err) => api_failure(err),
        },
        // Submitting with Enter sends the default button (Allow); an absent
        // decision means the same.
        "allow" | "" => {
            let identity = Identity::from_form(
                &provider_name,
                &form.email,
                &form.first_name,
                &form.last_name,
                &form.provider_subject,
            );
            let identity = match identity {
                Ok(identity) => identity,
                Err(message) => {
                    return match oauth::find_flow(&state, &provider_name, &form.state).await {
                        Ok(Ok(flow)) => {
                            let values = Values {
                                email: form.email,
                                first_name: form.first_name,
                                last_name: form.last_name,
                                provider_subject: form.provider_subject,
                            };
                            html(
                                StatusCode::BAD_REQUEST,
                                render_consent(&state, &form.state, &flow, &values, Some(&message)),
                            )
                        }
                        Ok(Err(problem)) => flow_problem(problem),
                        Err(err) => api_failure(err),
                    };
                }
            };
            match oauth::allow(&state, &provider_name, &form.state, identity).await {
                Ok(Ok(location)) => see_other(&location),
                Ok(Err(problem)) => flow_problem(problem),
                Err(err) => api_failure(err),
            }
        }
        other => error_page(
            StatusCode::BAD_REQUEST,
            "Unknown decision",
            &format!("`decision` must be allow or cancel (got {other:?})."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_escaping() {
        assert_eq!(
            origin_of("http://localhost:5173/auth?x=1"),
            "http://localhost:5173"
        );
        assert_eq!(origin_of("https://app.example"), "https://app.example");
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
