// A TypeScript app using the package, compiled with --strict in `make test`:
// the public types must be precise enough for this to type-check (and wrong
// uses, marked @ts-expect-error, must not).
import { createClient, LatchkeyError, type Session, type User } from 'latchkey';

const client = createClient('public-token-test-123', { baseUrl: 'http://localhost:8787', cookieOptions: { path: '/' } });

const session: Session | null = client.session.getSync();
const user: User | null = client.user.getSync();
const unsubscribe: () => void = client.session.onChange((s) => {
  const expires: string | undefined = s?.expires_at;
  void expires;
});
unsubscribe();
void session;
void user;

async function signIn(email: string, password: string): Promise<string> {
  try {
    const result = await client.passwords.authenticate({ email, password, session_duration_minutes: 60 });
    return result.session.session_id;
  } catch (e) {
    if (e instanceof LatchkeyError) {
      switch (e.kind) {
        case 'api':
          return `${e.status_code} ${e.error_type}`;
        case 'network':
          return e.reason;
        case 'validation':
          return e.field;
        case 'usage':
          return e.message;
      }
    }
    throw e;
  }
}
void signIn;

// @ts-expect-error session_duration_minutes is required
void client.passwords.authenticate({ email: 'a@b.co', password: 'x' });
// @ts-expect-error unknown provider
void client.oauth.myspace;
