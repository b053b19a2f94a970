//! The `#[wasm_bindgen]` surface: converts between JS and Rust, then
//! delegates. Values cross as JSON text so the wasm needs no serde; the JS
//! entry (`pkg/index.js`) parses them and shapes the public API.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::core::errors::SdkError;
use crate::core::json::Json;
use crate::core::machine::Change;
use crate::core::options;
use crate::methods;
use crate::platform::browser::{js_fill_random, Browser};
use crate::session::Driver;

/// One session for one public token on this page.
#[wasm_bindgen]
pub struct Core {
    driver: Rc<Driver<Browser>>,
}

fn error_text(err: &SdkError) -> String {
    err.to_json().text()
}

#[wasm_bindgen]
impl Core {
    /// `options` is the JSON text of the createClient options; `on_change`
    /// is called with (sessionChanged, userChanged). Throws error JSON text.
    #[wasm_bindgen(constructor)]
    pub fn new(
        public_token: &str,
        options: &str,
        on_change: js_sys::Function,
    ) -> Result<Core, String> {
        let json = Json::parse(options).ok_or_else(|| {
            error_text(&SdkError::validation(
                "options",
                "must be JSON-serialisable",
            ))
        })?;
        let options = options::parse(public_token, &json).map_err(|e| error_text(&e))?;
        let mut tab = [0u8; 4];
        js_fill_random(&mut tab);
        let token = options.public_token.clone();
        let notify = Box::new(move |change: Change| {
            let _ = on_change.call2(&JsValue::NULL, &change.session.into(), &change.user.into());
        });
        let driver = Driver::start(options, u32::from_le_bytes(tab), notify, |weak| {
            Browser::new(&token, u32::from_le_bytes(tab), weak)
        });
        Ok(Core { driver })
    }

    /// Runs the method `op` with the JSON text `args`; resolves with the
    /// response's JSON text, rejects with the error's JSON text.
    pub fn call(&self, op: String, args: String) -> js_sys::Promise {
        let driver = self.driver.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let args = Json::parse(&args).unwrap_or(Json::Null);
            match methods::call(&driver, &op, args).await {
                Ok(data) => Ok(JsValue::from(data.text())),
                Err(err) => Err(JsValue::from(error_text(&err))),
            }
        })
    }

    /// The app-visible state as JSON text.
    pub fn state(&self) -> String {
        self.driver.state_json().text()
    }

    /// Removes listeners, timers and the leadership claim.
    pub fn destroy(&self) {
        self.driver.close();
    }
}

/// Reads `stytch_token_type` and `token` from a URL: JSON text
/// `{"stytch_token_type", "token"}` or `null`.
#[wasm_bindgen(js_name = parseAuthenticateUrl)]
pub fn parse_authenticate_url(href: &str) -> String {
    methods::parse_url(href).text()
}
