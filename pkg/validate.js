// Input rules: every option the app passes is checked here before anything
// is sent, and refused with a validation error naming the field. One rule per
// field kind of the kernel's method table (src/methods.rs), plus the options
// of createClient.
import { COOKIE_DEFAULTS, FLAG_REQUIRED, OAUTH_PROVIDERS } from './contract.js';
import { LatchkeyError } from './errors.js';

/** A validation error naming `field`. */
export const refuse = (field, message) => new LatchkeyError({ kind: 'validation', field, retryable: false, message });
/** A plain object (not null, not an array). */
export const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const URL_MESSAGE = 'must be an absolute http(s) URL';

/** Whether `value` is an absolute http(s) URL without spaces or control characters. */
export function isHttpUrl(value) {
  if (/[\s\x00-\x1f\x7f]/.test(value)) return false;
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.host !== '' && !url.username && !url.password;
  } catch {
    return false;
  }
}

function email(value) {
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  const last = labels[labels.length - 1];
  // What mail systems accept, not all of RFC 5322; internationalised labels
  // are accepted as typed (the server normalises them).
  return at > 0 && value.length <= 254 && local.length <= 64
    && !/^\.|\.$|\.\.|[\s"(),:;<>@[\\\]\x7f]/.test(local)
    && labels.length >= 2 && value.length - at - 1 <= 253
    && labels.every((l) => /^(?!-)[\p{L}\p{N}A-Za-z0-9-]{1,63}(?<!-)$/u.test(l))
    && last.length >= 2 && !/^\d+$/.test(last);
}

const minutes = (min, max) => (v) => (Number.isInteger(v) && v >= min && v <= max ? ''
  : `must be a whole number of minutes from ${min} to ${max}${max === 527040 ? ' (one year)' : ''}`);
const string = (check, message) => (v) => (typeof v !== 'string' ? 'must be a string' : check(v) ? '' : message);

/** The rule of each field kind: '' when the value is fine, else why not. */
export const RULES = {
  e: string(email, 'must be an email address like name@example.com'),
  p: string((v) => /^\+[1-9]\d{6,14}$/.test(v), 'must be a phone number in E.164 format, like +14155550123'),
  t: string((v) => v.trim() !== '', 'must not be empty'),
  s: string(() => true),
  c: string((v) => /^\d{6}$/.test(v), 'must be the 6-digit code'),
  d: minutes(5, 527040),
  l: minutes(5, 10080),
  o: minutes(1, 10),
  m: minutes(5, 1440),
  u: string(isHttpUrl, URL_MESSAGE),
  n: (v) => (isObject(v) && Object.entries(v).every(([k, p]) => ['first_name', 'middle_name', 'last_name'].includes(k) && (typeof p === 'string' || p === null))
    ? '' : 'must be {first_name?, middle_name?, last_name?} with string values'),
  j: (v) => (isObject(v) ? '' : 'must be an object'),
  a: (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? '' : 'must be an array of strings'),
  b: (v) => (typeof v === 'boolean' ? '' : 'must be true or false'),
  i: string((v) => /^[A-Za-z0-9_-]+$/.test(v), 'must be an id (letters, digits, - and _)'),
  k: (v) => (v === 'platform' || v === 'cross-platform' ? '' : "must be 'platform' or 'cross-platform'"),
  v: (v) => (OAUTH_PROVIDERS.includes(v) ? '' : `must be one of ${OAUTH_PROVIDERS.join(', ')}`),
};

/** The options object of a call: absent reads as none; anything else but an object is refused. */
export function optionsObject(options) {
  if (options === undefined || options === null) return {};
  if (!isObject(options)) throw refuse('options', 'must be an object');
  return options;
}

/**
 * Checks `options` against a row's fields (`[name, kind, flags]`) and
 * returns the values by name in the row's order, without absent ones
 * (`null` and `undefined` read as absent). Unknown options are refused, so a
 * misspelt one is not silently ignored.
 */
export function check(fields, options) {
  const given = optionsObject(options);
  for (const key of Object.keys(given)) {
    if (!fields.some(([name]) => name === key)) throw refuse(key, 'is not an option of this method');
  }
  const values = {};
  for (const [name, kind, flags] of fields) {
    const value = given[name];
    if (value === undefined || value === null) {
      if (flags & FLAG_REQUIRED) throw refuse(name, 'is required');
      continue;
    }
    const problem = RULES[kind](value);
    if (problem) throw refuse(name, problem);
    values[name] = value;
  }
  return values;
}

const INTERVAL = [1000, 270000];
const TIMEOUT = [1000, 120000];

function whole(value, field, [min, max]) {
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  throw refuse(field, `must be a whole number from ${min} to ${max}`);
}

function bool(value, field) {
  if (typeof value === 'boolean') return value;
  throw refuse(field, 'must be true or false');
}

function cookieText(value, field, path) {
  const ok = typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) && !/[;,]/.test(value) && (!path || value.startsWith('/'));
  if (ok) return value;
  throw refuse(field, path ? 'must be a URL path starting with /' : 'must be a domain name');
}

/**
 * Checks the public token and the options of createClient and completes
 * them with defaults: `{ baseUrl, keepSessionAlive, refreshIntervalMs,
 * requestTimeoutMs, cookies: { opaqueTokenCookieName, jwtCookieName, path,
 * domain, availableToSubdomains } }`.
 */
export function clientOptions(publicToken, options) {
  if (typeof publicToken !== 'string' || !/^[\x21-\x39\x3b-\x7e]+$/.test(publicToken)) {
    throw refuse('publicToken', "must be your project's public token, e.g. public-token-test-…");
  }
  const parsed = {
    baseUrl: publicToken.includes('public-token-test') ? 'https://test.stytch.com' : 'https://api.stytch.com',
    keepSessionAlive: false,
    refreshIntervalMs: 180000,
    requestTimeoutMs: 20000,
    cookies: { ...COOKIE_DEFAULTS, domain: '', availableToSubdomains: false },
  };
  for (const [key, value] of Object.entries(optionsObject(options))) {
    if (value === null || value === undefined) continue;
    if (key === 'baseUrl') {
      const base = typeof value === 'string' ? value.replace(/\/+$/, '') : '';
      if (!isHttpUrl(base) || /[?#]/.test(base)) throw refuse(key, 'must be an absolute http(s) URL such as http://localhost:8787');
      parsed.baseUrl = base;
    } else if (key === 'keepSessionAlive') parsed.keepSessionAlive = bool(value, key);
    else if (key === 'refreshIntervalMs') parsed.refreshIntervalMs = whole(value, key, INTERVAL);
    else if (key === 'requestTimeoutMs') parsed.requestTimeoutMs = whole(value, key, TIMEOUT);
    else if (key === 'cookieOptions') parsed.cookies = cookieOptions(value, parsed.cookies);
    else throw refuse(key, 'is not an option of createClient');
  }
  return parsed;
}

function cookieOptions(value, defaults) {
  if (!isObject(value)) throw refuse('cookieOptions', 'must be an object');
  const cookies = { ...defaults };
  for (const [key, option] of Object.entries(value)) {
    if (option === null || option === undefined) continue;
    const field = `cookieOptions.${key}`;
    if (key === 'opaqueTokenCookieName' || key === 'jwtCookieName') {
      if (typeof option !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(option)) {
        throw refuse(field, "must be a cookie name (letters, digits and !#$%&'*+-.^_`|~)");
      }
      cookies[key] = option;
    } else if (key === 'path') cookies.path = cookieText(option, field, true);
    else if (key === 'domain') cookies.domain = cookieText(option, field, false);
    else if (key === 'availableToSubdomains') cookies.availableToSubdomains = bool(option, field);
    else throw refuse(field, 'is not a cookie option');
  }
  if (cookies.opaqueTokenCookieName === cookies.jwtCookieName) {
    throw refuse('cookieOptions.jwtCookieName', 'must differ from opaqueTokenCookieName');
  }
  return cookies;
}
