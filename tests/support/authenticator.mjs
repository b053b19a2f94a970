// Chromium's virtual WebAuthn authenticators (DevTools protocol, WebAuthn
// domain), for browser and end-to-end tests that run real ceremonies: the
// browser signs with the authenticator's own keys and the real server
// verifies them. An authenticator belongs to one page (one DevTools target).

/** A platform passkey provider: resident keys, user verification, touched at once. */
export const PASSKEY = {
  protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
  automaticPresenceSimulation: true,
};

/** A USB security key without resident keys or user verification: a second factor only. */
export const SECURITY_KEY = {
  protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true,
};

/**
 * Adds a virtual authenticator (`PASSKEY` merged with `options`) to `page`
 * and brings the page to the front: Chromium refuses a ceremony in a page
 * without focus (NotAllowedError), and the last page opened has it.
 * Returns `{ id, credentials(), setUserVerified(bool), setPresence(bool), remove() }`.
 */
export async function virtualAuthenticator(page, options = {}) {
  await page.bringToFront();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId: id } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { ...PASSKEY, ...options } });
  return {
    id,
    /** The credentials it holds: `{ credentialId, rpId, userHandle, isResidentCredential, signCount, … }` (base64). */
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id })).credentials,
    setUserVerified: (isUserVerified) => cdp.send('WebAuthn.setUserVerified', { authenticatorId: id, isUserVerified }),
    setPresence: (enabled) => cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: id, enabled }),
    remove: () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: id }),
  };
}
