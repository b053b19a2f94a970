// The cached snapshot in localStorage (`latchkey:<public token>:state`,
// format CACHE_VERSION): what lets a reload show the session before the
// module has loaded and tells other tabs (through storage events) what
// changed. It holds the session and user objects and the token's
// fingerprint, never a token.
import {
  AT_CLOCK, AT_CONFIRMED_AT, AT_DURATION, AT_EXPIRES_AT, AT_HASH, AT_SEQ, AT_SIGNED_IN, AT_WRITER,
  CACHE_VERSION, fingerprint,
} from './contract.js';
import { isObject } from './validate.js';

const orNaN = (n) => (typeof n === 'number' ? n : NaN);
const orNull = (n) => (Number.isNaN(n) ? null : n);

/** The kernel's stand-in for an object: the fingerprint of its JSON text. */
export const objectKey = (object) => (object ? fingerprint(JSON.stringify(object)) : NaN);

/** The cached snapshot in storage, checked: `null` when absent, of another version, or damaged. */
export function readSnapshot(text) {
  try {
    const s = JSON.parse(text);
    const a = s.auth;
    const numberOrNull = (n) => n === null || Number.isFinite(n);
    const objectOrNull = (o) => o === null || isObject(o);
    if (s.v !== CACHE_VERSION || !Number.isSafeInteger(s.seq) || s.seq < 0 || !Number.isInteger(s.writer) || !Number.isFinite(s.clock)) return null;
    if (a !== null && !(isObject(a) && Number.isSafeInteger(a.hash) && Number.isFinite(a.confirmed_at) && numberOrNull(a.expires_at)
      && numberOrNull(a.duration) && objectOrNull(a.session) && objectOrNull(a.user))) return null;
    return {
      numbers: [s.seq, s.writer, s.clock, a ? 1 : 0, orNaN(a?.expires_at), orNaN(a?.confirmed_at), orNaN(a?.duration),
        objectKey(a?.session), objectKey(a?.user), orNaN(a?.hash)],
      hash: a?.hash,
      objects: { session: a?.session ?? null, user: a?.user ?? null },
      duration: a?.duration ?? null,
    };
  } catch {
    return null;
  }
}

/** The text of the kernel's state (`numbers`) with the objects the page keeps for it. */
export function writeSnapshot(n, session, user) {
  return JSON.stringify({
    v: CACHE_VERSION,
    seq: n[AT_SEQ],
    writer: n[AT_WRITER],
    clock: n[AT_CLOCK],
    auth: n[AT_SIGNED_IN] ? {
      hash: n[AT_HASH],
      session,
      user,
      expires_at: orNull(n[AT_EXPIRES_AT]),
      confirmed_at: n[AT_CONFIRMED_AT],
      duration: orNull(n[AT_DURATION]),
    } : null,
  });
}
