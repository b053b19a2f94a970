// The frontend API's answers, read: the `data` of a 2xx, or the typed
// error an answer (or its absence) means; and what an authenticate-type
// answer establishes. Classification (retryable, ends the session) is the
// kernel's.
import * as kernel from './dist/latchkey.js';
import { CLASS_ENDS_SESSION, CLASS_RETRYABLE, INVALID_RESPONSE } from './contract.js';
import { LatchkeyError, network } from './errors.js';
import { fromBase64 } from './host.js';
import { isObject } from './validate.js';


/** The error for an answer this SDK cannot read (no `data`, no error body, no tokens). */
export const unreadable = (status, message) => apiError({ status_code: status, request_id: '', error_type: INVALID_RESPONSE, error_message: message, error_url: '' });

export function apiError(fields) {
  const retryable = !!(kernel.classify(fields.status_code, fields.error_type) & CLASS_RETRYABLE);
  return new LatchkeyError({ kind: 'api', message: fields.error_message, retryable, ...fields });
}

/** The `data` of an answer, or the error it (or its absence) means. */
export function reply(answer) {
  if (answer.failure) throw network(answer.failure);
  const { status, text } = answer;
  let body;
  try { body = JSON.parse(text); } catch { /* read below */ }
  if (status >= 200 && status < 300) {
    if (!isObject(body)) throw unreadable(status, 'The response is not a JSON object');
    if (!isObject(body.data)) throw unreadable(status, 'The response has no `data` object');
    return body.data;
  }
  const e = isObject(body) ? body : {};
  const str = (v) => (typeof v === 'string' ? v : '');
  if (!str(e.error_type)) throw unreadable(status, `The server answered HTTP ${status} without an error description`);
  const code = Number.isInteger(e.status_code) && e.status_code >= 400 && e.status_code < 600 ? e.status_code : status;
  throw apiError({ status_code: code, request_id: str(e.request_id), error_type: e.error_type, error_message: str(e.error_message), error_url: str(e.error_url) });
}

/** Whether an error proves the session is gone (the kernel's classification). */
export const endsSession = (e) => e.kind === 'api' && !!(kernel.classify(e.status_code, e.error_type) & CLASS_ENDS_SESSION);

/** What an authenticate-type `data` establishes, for the kernel. */
export function authOf(data) {
  const missing = (field) => unreadable(200, `The authenticate response has no valid ${field}`);
  if (typeof data.session_token !== 'string' || !data.session_token) throw missing('session_token');
  if (!isObject(data.session)) throw missing('session');
  const expires = Date.parse(data.session.expires_at);
  if (!Number.isFinite(expires)) throw missing('session.expires_at');
  const user = isObject(data.user) ? data.user : isObject(data.__user) ? data.__user : null;
  if (!user) throw missing('user');
  const jwt = typeof data.session_jwt === 'string' ? data.session_jwt : '';
  let iat = NaN;
  try { iat = JSON.parse(new TextDecoder().decode(fromBase64(jwt.split('.')[1]))).iat * 1000; } catch { /* timing only */ }
  return { token: data.session_token, jwt, objects: { session: data.session, user }, expires, iat: Number.isFinite(iat) ? iat : NaN };
}

/** The kernel's classification of any error (no answer: status 0). */
export const classOf = (e) => (e.kind === 'api' ? kernel.classify(e.status_code, e.error_type) : kernel.classify(0, ''));
