//! Browser tier: runs in headless Chromium against the real local server that
//! `scripts/test.sh` starts (its URL is baked in at compile time).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = match option_env!("LATCHKEY_TEST_SERVER") {
    Some(url) => url,
    None => "http://localhost:8787",
};

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
    let body = JsFuture::from(response.json().unwrap()).await.unwrap();
    let status = js_sys::Reflect::get(&body, &"status".into()).unwrap();
    assert_eq!(status.as_string().as_deref(), Some("ok"));
    assert_eq!(latchkey::version(), env!("CARGO_PKG_VERSION"));
}
