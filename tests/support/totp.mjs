// The tests' own RFC 6238 generator (what an authenticator app computes from
// the secret), independent of the server's totp-rs: RFC 4648 base32, RFC 4226
// HOTP with dynamic truncation, and TOTP time steps. tests/browser/totps.test.mjs
// checks it against RFC 6238 Appendix B before trusting it.
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (upper or lower case, `=` padding optional) to bytes. */
export function base32Decode(text) {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of clean) {
    const index = ALPHABET.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(c)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 4226: the `digits`-digit code of `key` (bytes) for `counter`. */
export function hotp(key, counter, { digits = 6, algorithm = 'sha1' } = {}) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The 30-second time step of `unixSeconds`. */
export const timeStep = (unixSeconds, period = 30) => Math.floor(unixSeconds / period);

/** RFC 6238: the code of the base32 `secret` at `unixSeconds` (default: now). */
export function totp(secret, { unixSeconds = Date.now() / 1000, period = 30, digits = 6, algorithm = 'sha1', key } = {}) {
  return hotp(key ?? base32Decode(secret), timeStep(unixSeconds, period), { digits, algorithm });
}

/**
 * Waits, if needed, until the current 30-second step has at least `marginMs`
 * left, so that a code computed now is still the current one when the server
 * checks it (the server also accepts one step either side; this keeps a test
 * from depending on that).
 */
export async function freshStep(marginMs = 3000, period = 30) {
  const left = period * 1000 - (Date.now() % (period * 1000));
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

/**
 * Reads the QR code of the image at `src` (e.g. a `data:image/png;base64,…`
 * URL) as a phone would: the page decodes the image into pixels, jsQR finds
 * and reads the code. Returns its text, or null when there is none.
 */
export async function readQrCode(page, src) {
  const { width, height, rgba } = await page.evaluate(async (url) => {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, rgba: btoa(binary) };
  }, src);
  const { default: jsQR } = await import('jsqr');
  const found = jsQR(new Uint8ClampedArray(Buffer.from(rgba, 'base64')), width, height);
  return found?.data ?? null;
}
