// The closed set of errors every SDK call rejects with: one class, told
// apart by `kind` (api, network, validation, usage, webauthn).

/** Every error the SDK reports; `kind` tells the variant apart. */
export class LatchkeyError extends Error {
  constructor(fields) {
    super(fields.message);
    Object.assign(this, fields);
    this.name = 'LatchkeyError';
  }
}

/** A usage error: the SDK was called in a way it cannot serve. */
export const usage = (message) => new LatchkeyError({ kind: 'usage', retryable: false, message });

const NETWORK_MESSAGES = {
  offline: 'The device is offline',
  timeout: 'The auth API did not answer in time',
  // A browser hides a refused CORS preflight behind the same failure as a
  // dead server, so the message names both.
  unreachable: 'The auth API could not be reached (is baseUrl right, and is this page\'s origin authorized?)',
};

/** A request that got no answer. */
export const network = (reason, message = NETWORK_MESSAGES[reason]) => new LatchkeyError({ kind: 'network', reason, retryable: true, message });
