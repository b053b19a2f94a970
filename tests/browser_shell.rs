//! Browser tier for the Rust shell: the session driver over the real
//! `pkg/host.js` in headless Chromium, against the real server that
//! `scripts/test.sh` starts (URL and public token baked in at compile time).
//! The JS package tests (tests/browser) cover the public API; these pin the
//! Rust side of the seam: requests out, answers in, cookies, storage, locks.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use latchkey::core::errors::NetworkReason;
use latchkey::core::{json, options, state::Snapshot};
use latchkey::methods;
use latchkey::platform::browser::{Browser, JsHost};
use latchkey::platform::Answer;
use latchkey::session::{Driver, PageEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = match option_env!("LATCHKEY_TEST_SERVER") {
    Some(url) => url,
    None => "http://localhost:8787",
};
const PUBLIC_TOKEN: &str = match option_env!("LATCHKEY_TEST_PUBLIC_TOKEN") {
    Some(token) => token,
    None => "public-token-test-unset",
};

#[wasm_bindgen(module = "/pkg/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = createHost)]
    fn create_host(public_token: &str, app: &JsValue) -> JsHost;
}

/// A driver wired to a real host, recording what the host is told.
struct Shell {
    driver: Rc<Driver<Browser>>,
    settled: Rc<RefCell<Vec<(u32, bool, String)>>>,
    changes: Rc<RefCell<u32>>,
    next_call: RefCell<u32>,
}

fn set(target: &Object, key: &str, value: JsValue) {
    Reflect::set(target, &key.into(), &value).unwrap();
}

impl Shell {
    fn start(cookie_prefix: &str, extra_options: &str) -> Shell {
        let settled = Rc::new(RefCell::new(Vec::new()));
        let changes = Rc::new(RefCell::new(0));
        let app = Object::new();
        let record = settled.clone();
        set(
            &app,
            "settle",
            Closure::<dyn Fn(u32, bool, String)>::new(move |id, ok, text| {
                record.borrow_mut().push((id, ok, text))
            })
            .into_js_value(),
        );
        let count = changes.clone();
        set(
            &app,
            "changed",
            Closure::<dyn Fn(bool, bool)>::new(move |_, _| *count.borrow_mut() += 1)
                .into_js_value(),
        );
        let host = create_host(PUBLIC_TOKEN, &app);
        let options_text = format!(
            r#"{{"baseUrl":"{SERVER}","cookieOptions":{{"opaqueTokenCookieName":"{cookie_prefix}_session","jwtCookieName":"{cookie_prefix}_jwt"}}{extra_options}}}"#
        );
        let options = options::parse(PUBLIC_TOKEN, &options_text).expect("valid options");
        let host_value: JsValue = host.clone();
        let browser = Browser::new(host, PUBLIC_TOKEN);
        let tab = browser.tab_id();
        let driver = Rc::new(Driver::start(options, tab, browser));
        // The object the host delivers page events and answers to.
        let core = Object::new();
        let to_driver = Rc::downgrade(&driver);
        set(
            &core,
            "event",
            Closure::<dyn Fn(String, String)>::new(move |kind: String, data: String| {
                let Some(d) = to_driver.upgrade() else { return };
                match kind.as_str() {
                    "timer" => d.on_timer(),
                    "leader" => d.on_leader(true),
                    "message" => d.on_page_event(PageEvent::Message(data)),
                    "storage" => d.on_page_event(PageEvent::Storage(data)),
                    _ => {}
                }
            })
            .into_js_value(),
        );
        let to_driver = Rc::downgrade(&driver);
        set(
            &core,
            "answer",
            Closure::<dyn Fn(u32, u16, String, String, String)>::new(
                move |id, status, date, body, failure: String| {
                    let Some(d) = to_driver.upgrade() else { return };
                    let answer = match failure.as_str() {
                        "" => Ok(Answer { status, date, body }),
                        "timeout" => Err(NetworkReason::Timeout),
                        _ => Err(NetworkReason::Unreachable),
                    };
                    d.on_answer(id, answer);
                },
            )
            .into_js_value(),
        );
        let attach: js_sys::Function = Reflect::get(&host_value, &"attach".into())
            .unwrap()
            .unchecked_into();
        attach.call1(&host_value, &core).unwrap();
        Shell {
            driver,
            settled,
            changes,
            next_call: RefCell::new(1),
        }
    }

    /// Runs an SDK method and waits for its outcome: Ok(json) or Err(error json).
    async fn call(&self, op: &str, args: &str) -> Result<String, String> {
        let id = {
            let mut next = self.next_call.borrow_mut();
            *next += 1;
            *next
        };
        methods::begin(&self.driver, id, op, args);
        for _ in 0..200 {
            if let Some((_, ok, text)) = self
                .settled
                .borrow()
                .iter()
                .find(|(call, _, _)| *call == id)
                .cloned()
            {
                return if ok { Ok(text) } else { Err(text) };
            }
            sleep(25).await;
        }
        panic!("{op} did not settle");
    }

    fn state(&self) -> String {
        self.driver.state_json()
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.driver.close();
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

fn document_cookie() -> String {
    let document = web_sys::window().unwrap().document().unwrap();
    let html: web_sys::HtmlDocument = document.unchecked_into();
    html.cookie().unwrap()
}

fn local_storage(key: &str) -> Option<String> {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(key)
        .unwrap()
}

fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", js_sys::Math::random().to_bits())
}

async fn sign_up(shell: &Shell, tag: &str) -> String {
    let body = format!(
        r#"{{"email":"{}","password":"a correct horse battery staple","session_duration_minutes":60}}"#,
        unique_email(tag)
    );
    shell
        .call("passwords.create", &body)
        .await
        .expect("sign-up succeeds")
}

#[wasm_bindgen_test]
async fn a_sign_in_writes_the_cookies_the_storage_and_the_state() {
    let shell = Shell::start("shell_a", "");
    let data = sign_up(&shell, "shell-a").await;
    let data = json::valid(&data).unwrap();
    let token = json::str_field(data, "session_token").unwrap();
    let jwt = json::str_field(data, "session_jwt").unwrap();
    assert!(document_cookie().contains(&format!("shell_a_session={token}")));
    assert!(document_cookie().contains(&format!("shell_a_jwt={jwt}")));
    let stored =
        Snapshot::parse(&local_storage(&format!("latchkey:{PUBLIC_TOKEN}:state")).unwrap())
            .unwrap();
    assert_eq!(stored.token(), Some(token.as_str()));
    let state = shell.state();
    assert_eq!(
        json::str_field(&state, "session_token").as_deref(),
        Some(token.as_str())
    );
    assert!(json::is_object(json::get(&state, "session").unwrap()));
    assert_eq!(json::get(&state, "from_cache"), Some("false"));
    assert_eq!(
        *shell.changes.borrow(),
        1,
        "one notification for the sign-in"
    );
}

#[wasm_bindgen_test]
async fn the_leader_refreshes_on_schedule_and_rotates_the_jwt() {
    let shell = Shell::start("shell_b", r#","refreshIntervalMs":1000"#);
    sign_up(&shell, "shell-b").await;
    let first = json::str_field(&shell.state(), "session_jwt").unwrap();
    for _ in 0..80 {
        sleep(50).await;
        let now = json::str_field(&shell.state(), "session_jwt").unwrap();
        if now != first {
            assert!(
                document_cookie().contains(&format!("shell_b_jwt={now}")),
                "the cookie follows"
            );
            return;
        }
    }
    panic!("no refresh within 4 s at a 1 s interval (the tab should hold the Web Lock)");
}

#[wasm_bindgen_test]
async fn revoking_clears_cookies_and_state() {
    let shell = Shell::start("shell_c", "");
    sign_up(&shell, "shell-c").await;
    assert!(document_cookie().contains("shell_c_session="));
    shell
        .call("session.revoke", "{}")
        .await
        .expect("revoke succeeds");
    assert!(!document_cookie().contains("shell_c_session="));
    assert_eq!(json::get(&shell.state(), "session"), Some("null"));
    let stored =
        Snapshot::parse(&local_storage(&format!("latchkey:{PUBLIC_TOKEN}:state")).unwrap())
            .unwrap();
    assert!(stored.auth.is_none());
}

#[wasm_bindgen_test]
async fn api_errors_reach_the_caller_typed() {
    let shell = Shell::start("shell_d", "");
    let body = format!(
        r#"{{"email":"{}","password":"wrong password entirely","session_duration_minutes":60}}"#,
        unique_email("nobody")
    );
    let error = shell
        .call("passwords.authenticate", &body)
        .await
        .expect_err("unknown user");
    assert_eq!(json::str_field(&error, "kind").as_deref(), Some("api"));
    assert_eq!(
        json::str_field(&error, "error_type").as_deref(),
        Some("unauthorized_credentials")
    );
    assert_eq!(json::get(&error, "status_code"), Some("401"));
    assert_eq!(json::get(&error, "retryable"), Some("false"));
    let error = shell
        .call("passwords.authenticate", "{}")
        .await
        .expect_err("no fields");
    assert_eq!(
        json::str_field(&error, "kind").as_deref(),
        Some("validation")
    );
}

#[wasm_bindgen_test]
async fn the_test_page_reaches_the_server_with_credentialed_cors() {
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::Include);
    let window = web_sys::window().expect("a browser window");
    let response =
        JsFuture::from(window.fetch_with_str_and_init(&format!("{SERVER}/health"), &init))
            .await
            .expect("the server answers a credentialed cross-origin fetch");
    let response: web_sys::Response = response.dyn_into().unwrap();
    assert_eq!(response.status(), 200);
}
