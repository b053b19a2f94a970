// The demo: a host app's own sign-in UI, built only on the public API of the
// `latchkey` package (pkg/index.d.ts). The local server serves the package
// at /pkg; an app that installed it from npm writes `from 'latchkey'`.
//
// Query parameters (for trying things out, and for the end-to-end tests):
//   ?refresh=MS   refreshIntervalMs of the client (1000..270000; default 180000)
import { createClient, version } from '/pkg/index.js';
import { friendlyMessage, errorCode } from './errors.js';
import { startOutbox } from './outbox.js';
import { decodeJwt, describeFactor, formatCountdown, formatDateTime, formatIn, providerName } from './format.js';

const SESSION_MINUTES = 60;
const DEFAULT_REFRESH_MS = 180_000;
const TOKEN_KEY = 'latchkey-demo:public-token';
const BUSY_LABEL = 'Please wait…';

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// ------------------------------------------------------------------ version
const versionOut = $('#sdk-version');
version().then(
  (v) => { versionOut.textContent = v; versionOut.dataset.state = 'ready'; },
  (e) => { versionOut.textContent = `failed: ${e.message}`; versionOut.dataset.state = 'error'; },
);

// ------------------------------------------------------------------ views
const VIEWS = ['loading', 'setup', 'signed-out', 'reset', 'signed-in'];
function show(view, loadingText) {
  const before = document.body.dataset.view;
  document.body.dataset.view = view;
  for (const name of VIEWS) $(`#view-${name}`).hidden = name !== view;
  if (loadingText) $('#loading-title').textContent = loadingText;
  // The control that was used is gone with its view: keyboard and screen
  // reader users continue from the new view's heading.
  if (before !== view && before !== 'loading' && view !== 'loading') $(`#view-${view} h1`)?.focus();
}

// ------------------------------------------------------------------ configuration
// www/config.js (written by `make demo`; see config.example.js) exports
// { publicToken, baseUrl? }. Without it, a token pasted on the setup screen is kept in localStorage.
async function loadConfig() {
  let config = {};
  try {
    config = (await import('./config.js')).default ?? {};
  } catch { /* not written: fall back to a pasted token */ }
  let stored = null;
  try { stored = localStorage.getItem(TOKEN_KEY); } catch { /* storage disabled */ }
  return { publicToken: config.publicToken || stored || '', baseUrl: config.baseUrl || location.origin };
}

function setStatus(text, signedIn = false) {
  const pill = $('#status-pill');
  pill.textContent = text;
  pill.classList.toggle('on', signedIn);
}

// ------------------------------------------------------------------ errors and busy state
function errorSlot(container) {
  let slot = $(':scope > [data-role="error"]', container);
  if (!slot) {
    slot = document.createElement('p');
    slot.className = 'error';
    slot.dataset.role = 'error';
    slot.setAttribute('role', 'alert');
    container.append(slot);
  }
  return slot;
}

function showError(slot, error, overrides) {
  slot.replaceChildren(friendlyMessage(error, overrides));
  const code = errorCode(error);
  if (code) {
    const small = document.createElement('small');
    small.className = 'error-code';
    small.textContent = code;
    slot.append(' ', small);
  }
  slot.hidden = false;
  if (!(error?.kind)) console.error(error);
}

function clearError(slot) {
  if (!slot) return;
  slot.hidden = true;
  slot.replaceChildren();
}

// The input a validation error names, to focus and mark it.
const FIELD_INPUTS = { email: 'email', phone_number: 'phone', token: 'code', totp_code: 'code', password: 'password', existing_password: 'password' };

/**
 * Runs `work` for a form: its buttons (and `alsoDisable`) are disabled and
 * the form is aria-busy until it settles; a rejection is shown as a sentence
 * under the form. Resolves with the result, or undefined after an error.
 */
async function busy(form, work, { overrides, alsoDisable = [], errorIn = errorSlot(form) } = {}) {
  const buttons = [...$$('button', form), ...alsoDisable];
  const submit = $('button[type="submit"]', form);
  const label = submit?.textContent;
  clearError(errorIn);
  for (const input of $$('[aria-invalid]', form)) input.removeAttribute('aria-invalid');
  for (const b of buttons) b.disabled = true;
  form.setAttribute('aria-busy', 'true');
  if (submit) submit.textContent = BUSY_LABEL;
  try {
    return await work();
  } catch (error) {
    showError(errorIn, error, overrides);
    const name = error?.kind === 'validation' && FIELD_INPUTS[error.field];
    const input = name && $(`[name="${name}"]`, form);
    if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
    return undefined;
  } finally {
    for (const b of buttons) b.disabled = false;
    form.removeAttribute('aria-busy');
    // (A sign-in re-labels the forms meanwhile: keep that.)
    if (submit?.textContent === BUSY_LABEL) submit.textContent = label;
  }
}

/**
 * Runs `work` for a lone button (no form around it): disabled and aria-busy
 * until it settles, a rejection shown in `errorIn`. Resolves with the
 * result, or undefined after an error.
 */
async function busyButton(button, work, { errorIn, overrides, alsoDisable = [] } = {}) {
  const buttons = [button, ...alsoDisable];
  clearError(errorIn);
  for (const b of buttons) b.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } catch (error) {
    showError(errorIn, error, overrides);
    return undefined;
  } finally {
    for (const b of buttons) b.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

function notice(container, text) {
  const p = $('[data-role="notice"]', container);
  p.textContent = text;
  p.hidden = !text;
}

// ------------------------------------------------------------------ the app
async function start({ publicToken, baseUrl }) {
  const params = new URLSearchParams(location.search);
  const options = { baseUrl };
  if (params.has('refresh')) options.refreshIntervalMs = Number(params.get('refresh'));
  const refreshMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
  const client = createClient(publicToken, options);
  const duration = { session_duration_minutes: SESSION_MINUTES };

  let resetToken = null;
  let consumingUrl = false;

  let signedOut = null;
  let resetSignedIn = () => {};
  const view = () => {
    observeJwt(client);
    if (consumingUrl) return show('loading', 'Signing you in…');
    if (resetToken) {
      setStatus('Signed out');
      return show('reset');
    }
    const session = client.session.getSync();
    if (session) {
      if (document.body.dataset.view !== 'signed-in') {
        signedOut.reset();
        resetSignedIn();
      }
      show('signed-in');
      renderSignedIn(client, session, client.user.getSync(), refreshMs);
    } else {
      setStatus('Signed out');
      show('signed-out');
    }
  };
  // Passkey autofill runs exactly while the sign-in forms show.
  const render = () => {
    view();
    signedOut.autofill(document.body.dataset.view === 'signed-out');
  };

  signedOut = setupSignedOut(client, duration, outbox);
  setupReset(client, duration, () => { resetToken = null; render(); }, () => resetToken);
  resetSignedIn = setupSignedIn(client, baseUrl, duration);
  client.onStateChange(render);

  // A signed-in page renders signed in at once (the SDK reads its cache
  // synchronously); otherwise wait for the module before showing the forms.
  if (client.session.getSync() && !client.parseAuthenticateUrl()) render();
  try {
    await client.ready;
  } catch (error) {
    show('signed-out');
    showError($('#signed-out-error'), error, {
      'field:refreshIntervalMs': 'The ?refresh= value must be between 1000 and 270000 milliseconds.',
    });
    return;
  }

  // An identity provider sent the person back without signing in (Cancel).
  if (params.get('error')) {
    const cancelled = params.get('error') === 'access_denied';
    const url = new URL(location.href);
    for (const key of ['stytch_token_type', 'error', 'error_description']) url.searchParams.delete(key);
    history.replaceState(history.state, '', url);
    render();
    const slot = $('#signed-out-error');
    slot.textContent = cancelled
      ? 'Sign-in was cancelled at the provider. Choose another way, or try again.'
      : 'The provider could not sign you in. Please try again.';
    slot.hidden = false;
    return;
  }

  // A magic link, OAuth redirect or password-reset link landed here.
  if (client.parseAuthenticateUrl()) {
    consumingUrl = true;
    render();
    try {
      const result = await client.authenticateByUrl(duration);
      if (result && !result.handled) {
        if (result.tokenType === 'reset_password') resetToken = result.token;
        else throw Object.assign(new Error('unknown link'), { kind: 'unknown-link' });
      }
    } catch (error) {
      consumingUrl = false;
      render();
      showError($('#signed-out-error'), error, {
        unauthorized_credentials: 'This sign-in link could not be used. Please ask for a new one.',
      });
      return;
    } finally {
      consumingUrl = false;
    }
  }
  render();
}

// ------------------------------------------------------------------ signed out
function setupSignedOut(client, duration, outbox) {
  const oauthButtons = $$('#oauth-buttons button');
  const alsoDisable = oauthButtons;

  // Tabs: arrow keys, Home and End move between them (WAI-ARIA tabs pattern).
  const tabs = $$('[role="tab"]');
  const select = (tab, focus = true) => {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute('aria-selected', String(selected));
      t.tabIndex = selected ? 0 : -1;
      $(`#${t.getAttribute('aria-controls')}`).hidden = !selected;
    }
    if (focus) tab.focus();
    clearError($('#signed-out-error'));
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (event) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length]);
    });
  }

  // Magic link.
  const magic = $('#magic-form');
  magic.addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = magic.email.value.trim();
    notice(magic, '');
    const sent = await busy(magic, () => client.magicLinks.email.loginOrCreate(email), { alsoDisable });
    if (sent) {
      notice(magic, `Check your email: we sent a sign-in link to ${email}. (Here, it is in the dev outbox.)`);
      outbox.refresh();
    }
  });

  // One-time codes, by email and by SMS: send, then verify with the method_id.
  const codeFlow = (sendForm, verifyForm, send, describe) => {
    let methodId = null;
    sendForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const to = sendForm.elements[0].value.trim();
      const sent = await busy(sendForm, () => send(to), { alsoDisable });
      if (!sent) return;
      methodId = sent.method_id;
      $('[data-role="sent"]', verifyForm).textContent = `We sent a 6-digit code to ${to}. ${describe}`;
      sendForm.hidden = true;
      verifyForm.hidden = false;
      verifyForm.code.value = '';
      verifyForm.code.focus();
      outbox.refresh();
    });
    verifyForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const code = verifyForm.code.value.replace(/\s+/g, '');
      await busy(verifyForm, () => client.otps.authenticate(code, methodId, duration), {
        alsoDisable,
        overrides: { 'field:token': 'Please enter the 6-digit code from the message.' },
      });
    });
    const restart = () => {
      clearError(errorSlot(verifyForm));
      verifyForm.hidden = true;
      sendForm.hidden = false;
    };
    $('[data-action="restart"]', verifyForm).addEventListener('click', () => {
      restart();
      sendForm.elements[0].focus();
    });
    return restart;
  };
  const restarts = [
    codeFlow($('#email-code-send'), $('#email-code-verify'),
      (email) => client.otps.email.loginOrCreate(email), '(Here, it is in the dev outbox.)'),
    codeFlow($('#sms-send'), $('#sms-verify'),
      (phone) => client.otps.sms.loginOrCreate(phone), '(Here, it is in the dev outbox.)'),
  ];

  // Passwords: sign in, create an account (with a live strength meter), forgot.
  const form = $('#password-form');
  const forgot = $('#forgot-form');
  const submit = $('#password-submit');
  const meter = $('#signup-strength');
  const signingUp = () => $('#mode-signup').checked;
  const strength = strengthMeter(client, meter, form.password, () => form.email);
  const applyMode = () => {
    const up = signingUp();
    submit.textContent = up ? 'Create account' : 'Sign in';
    form.password.autocomplete = up ? 'new-password' : 'current-password';
    meter.hidden = !up;
    $('[data-action="forgot"]', form).hidden = up;
    forgot.hidden = true;
    form.hidden = false;
    clearError(errorSlot(form));
    if (up) strength.check(); else strength.reset();
  };
  for (const radio of $$('input[name="password-mode"]')) radio.addEventListener('change', applyMode);
  form.password.addEventListener('input', () => { if (signingUp()) strength.schedule(); });
  form.email.addEventListener('change', () => { if (signingUp()) strength.schedule(); });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const credentials = { email: form.email.value.trim(), password: form.password.value, ...duration };
    if (signingUp()) {
      await busy(form, () => client.passwords.create(credentials), { alsoDisable });
    } else {
      await busy(form, () => client.passwords.authenticate(credentials), {
        alsoDisable,
        overrides: { unauthorized_credentials: 'That email and password do not match. Try again, or reset your password.' },
      });
    }
  });
  $('[data-action="forgot"]', form).addEventListener('click', () => {
    form.hidden = true;
    forgot.hidden = false;
    notice(forgot, '');
    forgot.email.value = form.email.value;
    forgot.email.focus();
  });
  $('[data-action="back"]', forgot).addEventListener('click', () => {
    forgot.hidden = true;
    form.hidden = false;
    form.email.focus();
  });
  forgot.addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = forgot.email.value.trim();
    notice(forgot, '');
    const sent = await busy(forgot, () => client.passwords.resetByEmailStart({ email }), { alsoDisable });
    if (sent) {
      notice(forgot, `If ${email} has an account, a reset link is on its way. (Here, it is in the dev outbox.)`);
      outbox.refresh();
    }
  });
  setupReveal(form);

  // OAuth: a navigation to the provider (here, the server's development identity provider).
  // After a sign-in, the forms start afresh for the next time.
  const resetAll = () => {
    for (const restart of restarts) restart();
    for (const f of [magic, forgot]) notice(f, '');
    for (const f of $$('#view-signed-out form')) {
      f.reset();
      clearError($(':scope > [data-role="error"]', f));
    }
    $('#mode-signin').checked = true;
    applyMode();
    form.hidden = false;
    strength.reset();
    for (const b of oauthButtons) b.disabled = false;
    clearError($('#signed-out-error'));
  };

  for (const button of oauthButtons) {
    button.addEventListener('click', async () => {
      const errorIn = $('#signed-out-error');
      clearError(errorIn);
      for (const b of oauthButtons) b.disabled = true;
      button.setAttribute('aria-busy', 'true');
      try {
        await client.oauth[button.dataset.provider].start();
        // The page is leaving; keep the buttons disabled.
      } catch (error) {
        showError(errorIn, error);
        for (const b of oauthButtons) b.disabled = false;
      } finally {
        button.removeAttribute('aria-busy');
      }
    });
  }

  // Passkeys. Autofill: while this view shows, a conditional request waits
  // for the person to pick a passkey from the email field's suggestions
  // (autocomplete="username webauthn"); the SDK resolves null where the
  // browser has no such autofill. A sign-in re-renders the page on its own.
  let autofill = null;
  const startAutofill = () => {
    if (autofill) return;
    const controller = new AbortController();
    const done = client.webauthn.authenticate({ conditional_mediation: true, is_passkey: true, signal: controller.signal, ...duration })
      .catch((error) => {
        // Stopped by this page, or dismissed: nothing to tell. Nor when the
        // request could not even start (offline, or an address such as
        // 127.0.0.1 where passkeys cannot work): nobody asked for it, and the
        // passkey button explains if clicked. What the person picked and
        // the service refused (e.g. a removed passkey) is said.
        if (controller.signal.aborted || error?.kind === 'webauthn' || error?.kind === 'network') return;
        if (error?.kind === 'api' && error.error_type === 'invalid_domain') return;
        showError($('#signed-out-error'), error);
      })
      .finally(() => { if (autofill?.controller === controller) autofill = null; });
    autofill = { controller, done };
  };
  /** Stops the autofill request and waits until the browser let go of it (one ceremony at a time). */
  const stopAutofill = async () => {
    const running = autofill;
    autofill = null;
    running?.controller.abort();
    await running?.done;
  };

  const passkeyButton = $('#passkey-sign-in');
  passkeyButton.addEventListener('click', async () => {
    const errorIn = $('#signed-out-error');
    clearError(errorIn);
    passkeyButton.disabled = true;
    passkeyButton.setAttribute('aria-busy', 'true');
    await stopAutofill();
    const signedIn = await busyButton(passkeyButton, () => client.webauthn.authenticate({ is_passkey: true, ...duration }), {
      errorIn, alsoDisable: oauthButtons,
    });
    // Still here (cancelled or refused): offer the autofill again.
    if (!signedIn && document.body.dataset.view === 'signed-out') startAutofill();
  });

  return {
    reset: resetAll,
    autofill: (on) => (on ? startAutofill() : stopAutofill()),
  };
}

function setupReveal(form) {
  for (const button of $$('[data-action="reveal"]', form)) {
    const input = $(`#${button.getAttribute('aria-controls')}`);
    button.addEventListener('click', () => {
      const reveal = input.type === 'password';
      input.type = reveal ? 'text' : 'password';
      button.textContent = reveal ? 'Hide' : 'Show';
      button.setAttribute('aria-pressed', String(reveal));
    });
  }
}

// The strength meter: passwords.strengthCheck, debounced; a slower answer to
// an older password never overwrites a newer one.
const STRENGTH_LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'];
function strengthMeter(client, container, passwordInput, emailInput = () => null) {
  const meter = $('meter', container);
  const text = $('.hint', container);
  let timer;
  let seq = 0;
  const reset = () => {
    clearTimeout(timer);
    seq++;
    meter.value = 0;
    text.textContent = '';
    delete container.dataset.valid;
    delete container.dataset.score;
  };
  const check = async () => {
    clearTimeout(timer);
    const password = passwordInput.value;
    const mine = ++seq;
    if (!password) { reset(); return; }
    const email = emailInput();
    const options = { password };
    if (email?.value && email.checkValidity()) options.email = email.value.trim();
    try {
      const r = await client.passwords.strengthCheck(options);
      if (mine !== seq) return;
      meter.value = r.score;
      container.dataset.score = String(r.score);
      container.dataset.valid = String(r.valid_password);
      const parts = [`${STRENGTH_LABELS[r.score] ?? ''}${r.valid_password ? ' — good to go.' : ' — not strong enough yet.'}`];
      if (r.breached_password) parts.push('This password has appeared in a data breach.');
      const luds = r.feedback?.luds_requirements;
      if (r.strength_policy === 'luds' && luds && !r.valid_password) {
        const missing = [];
        if (!luds.has_lower_case) missing.push('a lowercase letter');
        if (!luds.has_upper_case) missing.push('an uppercase letter');
        if (!luds.has_digit) missing.push('a digit');
        if (!luds.has_symbol) missing.push('a symbol');
        if (luds.missing_characters > 0) missing.push(`${luds.missing_characters} more characters`);
        if (missing.length) parts.push(`Add ${missing.join(', ')}.`);
      }
      if (r.feedback?.warning) parts.push(r.feedback.warning.replace(/\.?$/, '.'));
      for (const s of r.feedback?.suggestions ?? []) parts.push(s);
      text.textContent = parts.join(' ');
    } catch (error) {
      if (mine !== seq) return;
      meter.value = 0;
      delete container.dataset.valid;
      text.textContent = `We could not check the strength right now: ${friendlyMessage(error)}`;
    }
  };
  return { check, reset, schedule: () => { clearTimeout(timer); timer = setTimeout(check, 250); } };
}

// ------------------------------------------------------------------ password reset
function setupReset(client, duration, done, token) {
  const form = $('#reset-form');
  const strength = strengthMeter(client, $('#reset-strength'), form.password);
  form.password.addEventListener('input', () => strength.schedule());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = await busy(form, () => client.passwords.resetByEmail({ token: token(), password: form.password.value, ...duration }), {
      errorIn: $('#reset-error'),
      overrides: {
        unable_to_auth_magic_link: 'This reset link has expired or was already used. Ask for a new one.',
        magic_link_not_found: 'This reset link is not valid any more. Ask for a new one.',
      },
    });
    if (result) {
      form.reset();
      strength.reset();
      done();
    }
  });
  $('[data-action="cancel"]', form).addEventListener('click', () => { form.reset(); strength.reset(); done(); });
  setupReveal(form);
}

// ------------------------------------------------------------------ signed in
let signedInClient = null;
let countdownTimer = null;
// When the SDK refreshes next: it refreshes every refreshIntervalMs after
// the last refresh (or sign-in), and each refresh mints a new JWT whose `iat`
// is the server's time of that refresh. So next ≈ iat + interval, moved
// into this browser's clock by the offset seen when a new JWT arrives
// (it arrives right after it was minted). See README "Quickstart" notes.
const timing = { jwt: undefined, iatMs: 0, expMs: 0, skewMs: 0, refreshMs: DEFAULT_REFRESH_MS };

function observeJwt(client) {
  const jwt = client.session.getTokens()?.session_jwt ?? null;
  if (jwt === timing.jwt) return false;
  const payload = decodeJwt(jwt)?.payload;
  if (payload?.iat) {
    // A JWT that changed while the page was open was minted just now;
    // the first one a page sees may come from its cache (no offset then).
    if (timing.jwt !== undefined) timing.skewMs = Date.now() - payload.iat * 1000;
    timing.iatMs = payload.iat * 1000;
    timing.expMs = payload.exp * 1000;
  }
  timing.jwt = jwt;
  return true;
}

function setupSignedIn(client, baseUrl, duration) {
  signedInClient = client;
  const nameForm = $('#name-form');
  nameForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    notice(nameForm, '');
    const name = { first_name: nameForm.first_name.value.trim(), last_name: nameForm.last_name.value.trim() };
    const saved = await busy(nameForm, () => client.user.update({ name }));
    if (saved) {
      delete nameForm.dataset.dirty;
      notice(nameForm, 'Saved.');
    }
  });
  nameForm.addEventListener('input', () => { nameForm.dataset.dirty = 'true'; notice(nameForm, ''); });

  const errorIn = $('#signed-in-error');
  const signOut = $('#sign-out');
  const everywhere = $('#sign-out-everywhere');
  const panel = $('#everywhere-panel');
  const revokeButtons = [signOut, everywhere, $('#revoke-this')];
  const revoke = async (button, options) => {
    clearError(errorIn);
    for (const b of revokeButtons) b.disabled = true;
    const label = button.textContent;
    button.textContent = 'Signing out…';
    try {
      await client.session.revoke(options);
    } catch (error) {
      showError(errorIn, error);
      if (error?.kind === 'network') offerLocalSignOut(errorIn, () => revoke(button, { forceClear: true }));
    } finally {
      for (const b of revokeButtons) b.disabled = false;
      button.textContent = label;
    }
  };
  signOut.addEventListener('click', () => revoke(signOut));
  everywhere.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    everywhere.setAttribute('aria-expanded', String(open));
    if (open) {
      const user = client.user.getSync();
      $('#everywhere-commands').textContent = [
        '# 1. The user\'s sessions (backend API, with the project secret)',
        `curl -u "$PROJECT_ID:$SECRET" "${baseUrl}/v1/sessions?user_id=${user?.user_id ?? ''}"`,
        '# 2. Revoke each of them',
        `curl -u "$PROJECT_ID:$SECRET" -H 'Content-Type: application/json' \\`,
        `     -d '{"session_id": "session-test-…"}' "${baseUrl}/v1/sessions/revoke"`,
      ].join('\n');
      $('#revoke-this').focus();
    }
  });
  $('#everywhere-cancel').addEventListener('click', () => {
    panel.hidden = true;
    everywhere.setAttribute('aria-expanded', 'false');
    everywhere.focus();
  });
  $('#revoke-this').addEventListener('click', () => revoke($('#revoke-this')));
  return setupMethods(client, duration);
}

// ------------------------------------------------------------------ sign-in methods
function methodsNotice(text) {
  const p = $('#methods-notice');
  p.textContent = text;
  p.hidden = !text;
}

/** Wires the sign-in methods card; returns what clears it for the next sign-in. */
function setupMethods(client, duration) {
  const errorIn = $('#methods-error');
  const addPasskey = $('#add-passkey');
  const setupTotp = $('#setup-totp');
  const panel = $('#totp-panel');
  const form = $('#totp-form');
  const recovery = $('#recovery-panel');
  let recoveryCodes = [];

  addPasskey.addEventListener('click', async () => {
    methodsNotice('');
    const added = await busyButton(addPasskey, () => client.webauthn.register({ is_passkey: true, ...duration }), {
      errorIn,
      overrides: { 'webauthn:cancelled': 'No passkey was added: the request was cancelled or timed out.' },
    });
    if (!added) return;
    const entry = added.user.webauthn_registrations.find((r) => r.webauthn_registration_id === added.webauthn_registration_id);
    methodsNotice(`Passkey added${entry ? `: ${entry.name}` : ''}. You can now sign in with it.`);
  });

  // The secret is shown until the app is confirmed or the setup closed, never again.
  const closeTotp = () => {
    panel.hidden = true;
    setupTotp.setAttribute('aria-expanded', 'false');
    $('#totp-qr').removeAttribute('src');
    $('#totp-secret').textContent = '';
    form.reset();
    clearError($(':scope > [data-role="error"]', form));
    renderMethods(client.user.getSync());
  };
  setupTotp.addEventListener('click', async () => {
    methodsNotice('');
    if (!panel.hidden) {
      closeTotp();
      return;
    }
    const created = await busyButton(setupTotp, () => client.totps.create(), { errorIn });
    if (!created) return;
    recoveryCodes = created.recovery_codes;
    $('#totp-qr').src = created.qr_code;
    // Groups of four are easier to type; apps ignore the spaces.
    $('#totp-secret').textContent = created.secret.match(/.{1,4}/g).join(' ');
    panel.hidden = false;
    setupTotp.setAttribute('aria-expanded', 'true');
    form.code.focus();
  });
  $('[data-action="cancel"]', form).addEventListener('click', () => {
    closeTotp();
    setupTotp.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const totpCode = form.code.value.replace(/\s+/g, '');
    const confirmed = await busy(form, () => client.totps.authenticate({ totp_code: totpCode, ...duration }));
    if (!confirmed) return;
    closeTotp();
    const list = $('#recovery-codes');
    list.replaceChildren(...recoveryCodes.map((c) => {
      const li = document.createElement('li');
      li.append(code(c));
      return li;
    }));
    recoveryCodes = [];
    recovery.hidden = false;
    methodsNotice('Authenticator app added: this session now has two factors.');
    $('#recovery-title').focus();
  });
  const closeRecovery = () => {
    recovery.hidden = true;
    $('#recovery-codes').replaceChildren();
  };
  $('#recovery-done').addEventListener('click', () => {
    closeRecovery();
    $('#methods-title').focus();
  });

  $('#methods-list').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-remove]');
    if (!button) return;
    methodsNotice('');
    const what = button.dataset.label;
    const removed = await busyButton(button, () => client.user[button.dataset.remove](button.dataset.id), { errorIn });
    if (removed) {
      methodsNotice(`Removed ${what}.`);
      // The button left with its row: continue from the card's heading.
      $('#methods-title').focus();
    } else if (button.isConnected) {
      button.focus();
    }
  });

  return () => {
    closeTotp();
    closeRecovery();
    recoveryCodes = [];
    methodsNotice('');
    clearError(errorIn);
  };
}

/** The user's factors as rows: what, which, and how the SDK removes it. */
function methodRows(user) {
  const rows = [];
  for (const e of user.emails) {
    rows.push({ kind: 'email', id: e.email_id, title: 'Email', detail: `${e.email}${e.verified ? '' : ' (not verified)'}`, label: `email ${e.email}`, remove: 'deleteEmail' });
  }
  for (const p of user.phone_numbers) {
    rows.push({ kind: 'phone', id: p.phone_id, title: 'Phone', detail: p.phone_number, label: `phone ${p.phone_number}`, remove: 'deletePhoneNumber' });
  }
  for (const p of user.providers) {
    const name = providerName(p.provider_type);
    rows.push({ kind: 'oauth', id: p.oauth_user_registration_id, title: name, detail: 'Sign-in provider', label: `${name} sign-in`, remove: 'deleteOAuthRegistration' });
  }
  for (const w of user.webauthn_registrations) {
    const what = w.authenticator_type === 'cross-platform' ? 'Security key' : 'Passkey';
    rows.push({ kind: 'passkey', id: w.webauthn_registration_id, title: what, detail: w.name, label: `${what.toLowerCase()} ${w.name}`, remove: 'deleteWebauthnRegistration' });
  }
  for (const t of user.totps) {
    rows.push({ kind: 'totp', id: t.totp_id, title: 'Authenticator app', detail: t.verified ? 'Confirmed' : 'Not confirmed yet', label: 'authenticator app', remove: 'deleteTOTP' });
  }
  return rows;
}

function renderMethods(user) {
  const list = $('#methods-list');
  const rows = user ? methodRows(user) : [];
  // Rebuilt only when it changed, so a refresh does not take the focus away.
  const key = JSON.stringify(rows);
  if (list.dataset.key !== key) {
    list.dataset.key = key;
    list.replaceChildren(...rows.map((r) => {
      const li = document.createElement('li');
      li.dataset.kind = r.kind;
      li.dataset.id = r.id;
      const text = document.createElement('div');
      const strong = document.createElement('strong');
      strong.textContent = r.title;
      const small = document.createElement('span');
      small.className = 'muted';
      small.textContent = r.detail;
      text.append(strong, ' ', small);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn small danger';
      button.textContent = 'Remove';
      button.dataset.remove = r.remove;
      button.dataset.id = r.id;
      button.dataset.label = r.label;
      button.setAttribute('aria-label', `Remove ${r.label}`);
      li.append(text, button);
      return li;
    }));
  }
  // One authenticator app per account: set up another after removing it.
  $('#setup-totp').hidden = !!user?.totps.some((t) => t.verified) && $('#totp-panel').hidden;
}

function offerLocalSignOut(slot, action) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn small';
  button.textContent = 'Sign out on this device only';
  button.addEventListener('click', action);
  slot.append(' ', button);
}

function fact(list, term, value, { id, live } = {}) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  if (value instanceof Node) dd.append(value); else dd.textContent = value;
  if (id) dd.id = id;
  if (live) dd.setAttribute('aria-live', 'off');
  list.append(dt, dd);
}

function renderSignedIn(client, session, user, refreshMs) {
  timing.refreshMs = refreshMs;
  const first = user?.name?.first_name;
  const fullName = [user?.name?.first_name, user?.name?.last_name].filter(Boolean).join(' ');
  const primary = user?.emails?.[0]?.email ?? user?.phone_numbers?.[0]?.phone_number ?? '';
  $('#welcome').textContent = first ? `Welcome, ${first}` : 'Welcome';
  $('#user-summary').textContent = fullName && primary ? `${fullName} · ${primary}` : primary || fullName;
  setStatus(`Signed in${primary ? ` as ${primary}` : ''}`, true);

  // The name form follows the user unless someone is typing in it.
  const nameForm = $('#name-form');
  if (!nameForm.dataset.dirty && user) {
    nameForm.first_name.value = user.name?.first_name ?? '';
    nameForm.last_name.value = user.name?.last_name ?? '';
  }

  const userFacts = $('#user-facts');
  userFacts.replaceChildren();
  if (user) {
    fact(userFacts, 'User ID', code(user.user_id));
    if (user.emails.length) fact(userFacts, 'Email', user.emails.map((e) => `${e.email}${e.verified ? ' (verified)' : ''}`).join(', '));
    if (user.phone_numbers.length) fact(userFacts, 'Phone', user.phone_numbers.map((p) => `${p.phone_number}${p.verified ? ' (verified)' : ''}`).join(', '));
    if (user.providers.length) fact(userFacts, 'Signed in with', user.providers.map((p) => providerName(p.provider_type)).join(', '));
    fact(userFacts, 'Password', user.password ? 'Set' : 'Not set');
    fact(userFacts, 'Member since', formatDateTime(user.created_at));
  }

  const sessionFacts = $('#session-facts');
  sessionFacts.replaceChildren();
  fact(sessionFacts, 'Session ID', code(session.session_id));
  fact(sessionFacts, 'Started', formatDateTime(session.started_at));
  fact(sessionFacts, 'Last refreshed', formatDateTime(session.last_accessed_at));
  fact(sessionFacts, 'Expires', `${formatDateTime(session.expires_at)} (${formatIn(session.expires_at)})`, { id: 'session-expires' });
  fact(sessionFacts, 'Next refresh', '', { id: 'next-refresh', live: true });
  fact(sessionFacts, 'JWT valid for', '', { id: 'jwt-remaining', live: true });

  renderMethods(user);

  const factors = $('#session-factors');
  factors.replaceChildren(...session.authentication_factors.map((f) => {
    const { title, detail } = describeFactor(f);
    const li = document.createElement('li');
    const strong = document.createElement('strong');
    strong.textContent = title;
    const small = document.createElement('span');
    small.className = 'muted';
    small.textContent = [detail, formatDateTime(f.last_authenticated_at)].filter(Boolean).join(' · ');
    li.dataset.factor = f.type;
    li.append(strong, small);
    return li;
  }));

  observeJwt(client);
  renderJwt(client);
  tick();
  clearInterval(countdownTimer);
  countdownTimer = setInterval(tick, 500);
}

function code(text) {
  const c = document.createElement('code');
  c.textContent = text;
  return c;
}

function renderJwt(client) {
  const decoded = decodeJwt(client.session.getTokens()?.session_jwt);
  $('#jwt-claims').textContent = decoded
    ? `// header\n${JSON.stringify(decoded.header, null, 2)}\n// claims\n${JSON.stringify(decoded.payload, null, 2)}`
    : 'No JWT yet.';
}

function tick() {
  const client = signedInClient;
  if (document.body.dataset.view !== 'signed-in' || !client?.session.getSync()) {
    clearInterval(countdownTimer);
    return;
  }
  if (observeJwt(client)) renderJwt(client);
  const now = Date.now();
  const next = timing.iatMs + timing.skewMs + timing.refreshMs - now;
  const nextOut = $('#next-refresh');
  nextOut.textContent = next > 0
    ? `in ${formatCountdown(next)} (every ${formatCountdown(timing.refreshMs)})`
    : 'due now…';
  $('#jwt-remaining').textContent = `${formatCountdown(timing.expMs + timing.skewMs - now)} more`;
}

// ------------------------------------------------------------------ boot
const config = await loadConfig();
$('#api-base').textContent = config.baseUrl;
const outbox = startOutbox({
  baseUrl: config.baseUrl, list: $('#outbox-list'), status: $('#outbox-status'), clearButton: $('#outbox-clear'),
});

if (!config.publicToken) {
  show('setup');
  setStatus('Not configured');
  $('#setup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('#setup-token').value.trim();
    if (!token) return;
    try { localStorage.setItem(TOKEN_KEY, token); } catch { /* storage disabled */ }
    location.reload();
  });
} else {
  start(config);
}
