// The WebAuthn ceremony as Stytch's client runs it (through
// @github/webauthn-json's encoding): the server's options (a JSON string,
// binary fields in base64 or base64url) into `navigator.credentials`, the
// credential back out as JSON with base64url fields, and the browser's
// refusals as typed errors. The flows around it are in client.js.
import { LatchkeyError } from './errors.js';
import { base64url, fromBase64 } from './host.js';
import { unreadable } from './answers.js';

/** The WebAuthn options the server sent (a JSON string) with their binary fields as bytes. */
function credentialOptions(json, creating) {
  const options = JSON.parse(json);
  options.challenge = fromBase64(options.challenge);
  const list = creating ? 'excludeCredentials' : 'allowCredentials';
  options[list] = options[list]?.map((c) => ({ ...c, id: fromBase64(c.id) }));
  if (creating) options.user = { ...options.user, id: fromBase64(options.user.id) };
  return options;
}

/** A credential as Stytch's client sends it: JSON text, binary fields as base64url. */
export function credentialJson(credential) {
  const r = credential.response;
  const b = (bytes) => (bytes ? base64url(bytes) : null);
  const response = r.attestationObject
    ? { clientDataJSON: b(r.clientDataJSON), attestationObject: b(r.attestationObject), transports: r.getTransports?.() ?? [] }
    : { clientDataJSON: b(r.clientDataJSON), authenticatorData: b(r.authenticatorData), signature: b(r.signature), userHandle: b(r.userHandle) };
  const extensions = credential.getClientExtensionResults?.() ?? {};
  return JSON.stringify({
    type: credential.type,
    id: credential.id,
    rawId: b(credential.rawId),
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    response,
    clientExtensionResults: Object.fromEntries(Object.entries(extensions).filter(([k]) => ['appid', 'appidExclude', 'credProps'].includes(k))),
  });
}

function ceremonyError(e) {
  const name = e?.name ?? 'Error';
  const reason = { NotAllowedError: 'cancelled', AbortError: 'cancelled', InvalidStateError: 'already_registered', NotSupportedError: 'unsupported' }[name] ?? 'failed';
  return new LatchkeyError({ kind: 'webauthn', reason, exception: name, retryable: reason === 'cancelled', message: e?.message || 'The WebAuthn ceremony failed' });
}

/** Refuses up front where the browser has no WebAuthn at all. */
export function requireWebAuthn() {
  if (typeof globalThis.PublicKeyCredential !== 'function' || !globalThis.navigator?.credentials) {
    throw ceremonyError({ name: 'NotSupportedError', message: 'This browser does not support WebAuthn (navigator.credentials)' });
  }
}

/** Whether the browser offers passkeys in autofill (conditional mediation). */
export async function browserSupportsAutofill() {
  try { return (await globalThis.PublicKeyCredential?.isConditionalMediationAvailable?.()) === true; } catch { return false; }
}

/**
 * Runs the ceremony on the server's `options` (a JSON string): `create`
 * registers, else `get` asserts, with `extra` (signal, mediation).
 */
export async function ceremony(create, options, extra = {}) {
  let publicKey;
  try {
    publicKey = credentialOptions(options, create);
  } catch {
    throw unreadable(200, 'The WebAuthn options are not valid JSON');
  }
  try {
    return await navigator.credentials[create ? 'create' : 'get']({ publicKey, ...extra });
  } catch (e) {
    throw ceremonyError(e);
  }
}
