// Small display helpers: JWT decoding (for display only: the page cannot and
// need not verify it), dates, durations.

function base64UrlDecode(part) {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** `{ header, payload }` of a compact JWS, or null if it is not one. */
export function decodeJwt(jwt) {
  const parts = typeof jwt === 'string' ? jwt.split('.') : [];
  if (parts.length !== 3) return null;
  try {
    return { header: JSON.parse(base64UrlDecode(parts[0])), payload: JSON.parse(base64UrlDecode(parts[1])) };
  } catch {
    return null;
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** A timestamp (RFC 3339 text or epoch ms) as local date and time. */
export function formatDateTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value ?? '') : dateTime.format(date);
}

export function formatTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : time.format(date);
}

/** 75_000 → "1:15"; 3_700_000 → "1:01:40". Negative counts as 0. */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "just now", "42 s ago", "3 min ago", "2 h ago", "5 d ago". */
export function formatAgo(value, now = Date.now()) {
  const seconds = Math.round((now - new Date(value).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** "in 59 min", "in 3 h", "in 2 d" (or "now"). */
export function formatIn(value, now = Date.now()) {
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds <= 0) return 'now';
  if (seconds < 60) return `in ${seconds} s`;
  if (seconds < 3600) return `in ${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `in ${Math.round(seconds / 3600)} h`;
  return `in ${Math.round(seconds / 86_400)} d`;
}

const FACTOR_NAMES = {
  magic_link: 'Email link', otp: 'One-time code', oauth: 'OAuth', password: 'Password', webauthn: 'Passkey',
  totp: 'Authenticator app', recovery_codes: 'Recovery code',
};
const DELIVERY = { email: 'by email', sms: 'by text message', whatsapp: 'by WhatsApp', knowledge: '' };

/** "Password · ada@example.com", "One-time code by text message · +1555…", "OAuth (Google) · subject". */
export function describeFactor(factor) {
  const name = FACTOR_NAMES[factor.type] ?? factor.type;
  let how = DELIVERY[factor.delivery_method];
  if (how === undefined && factor.delivery_method?.startsWith('oauth_')) how = `(${providerName(factor.delivery_method.slice(6))})`;
  const oauth = Object.entries(factor).find(([k]) => k.endsWith('_oauth_factor'))?.[1];
  const detail = factor.email_factor?.email_address ?? factor.phone_number_factor?.phone_number ?? oauth?.provider_subject ?? '';
  return { title: [name, how].filter(Boolean).join(' '), detail };
}

const PROVIDERS = { google: 'Google', github: 'GitHub', microsoft: 'Microsoft', apple: 'Apple', gitlab: 'GitLab', linkedin: 'LinkedIn' };
export function providerName(type) {
  const key = String(type ?? '').toLowerCase();
  return PROVIDERS[key] ?? (key ? key[0].toUpperCase() + key.slice(1) : '');
}
