// SignIn.tsx
import { useState, type FormEvent } from 'react';
import { LatchkeyError } from 'latchkey';
import { useLatchkey } from 'latchkey/react';

function messageFor(error: unknown): string {
  if (error instanceof LatchkeyError && error.kind === 'api') {
    if (error.error_type === 'unauthorized_credentials') return 'Wrong email or password.';
    if (error.error_type === 'duplicate_email') return 'That email already has an account: sign in instead.';
    if (error.error_type === 'weak_password') return 'Please choose a longer, less common password.';
  }
  return 'Could not sign in. Please try again.';
}

export function SignIn() {
  const client = useLatchkey();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const create = (event.nativeEvent as SubmitEvent).submitter?.getAttribute('value') === 'create';
    const credentials = {
      email: String(data.get('email')),
      password: String(data.get('password')),
      session_duration_minutes: 60,
    };
    setBusy(true);
    setError('');
    try {
      // Nothing to do on success: useSession() re-renders the app signed in.
      await (create ? client.passwords.create(credentials) : client.passwords.authenticate(credentials));
    } catch (e) {
      setError(messageFor(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <label>Email <input name="email" type="email" autoComplete="username" required /></label>
      <label>Password <input name="password" type="password" autoComplete="current-password" required /></label>
      <button value="sign-in" disabled={busy}>Sign in</button>
      <button value="create" disabled={busy}>Create account</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
