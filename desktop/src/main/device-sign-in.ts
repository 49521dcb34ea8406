import { PortalError, type DeviceAuthorization, type DeviceToken, type PortalClient } from './portal-client.js';

/** Why a device sign-in ended without a token, in words for the home page. */
export class SignInError extends Error {
  override name = 'SignInError';
  constructor(
    readonly reason: 'denied' | 'expired' | 'unsupported' | 'bad-answer' | 'cancelled' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

export interface DeviceSignInOptions {
  client: PortalClient;
  /** Names the token on the server's token list ("Codeyard Desktop on laptop"). */
  name: string;
  /** Opens the approval page in the system browser (Electron's shell.openExternal). */
  openExternal(url: string): Promise<void>;
  /** The code to show while the user approves in the browser. */
  onCode(authorization: DeviceAuthorization): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
  signal?: AbortSignal;
}

/** The contract's client name for this app. */
export const DEVICE_CLIENT = 'codeyard-desktop';
/** RFC 8628 §3.5: a client told to slow down adds five seconds to its interval. */
const SLOW_DOWN_STEP_S = 5;
/** However long the server says a code lives, polling stops after this many tries. */
const MAX_POLLS = 400;

/**
 * Signs in to a server by the device flow (#14 contract: `POST /api/auth/device`, then
 * `POST /api/auth/device/token` every `interval` seconds): the approval page opens in the
 * system browser, where the user is already signed in to the portal (and where their password
 * manager and second factor live), and the app shows the code to compare. The page must be on
 * the server's own origin: the app never opens a URL of another site the answer names.
 */
export async function deviceSignIn(options: DeviceSignInOptions): Promise<DeviceToken> {
  const { client, signal } = options;
  let authorization: DeviceAuthorization;
  try {
    authorization = await client.deviceAuthorize(DEVICE_CLIENT, options.name);
  } catch (err) {
    if (err instanceof PortalError && (err.status === 404 || err.status === 405)) {
      throw new SignInError('unsupported', `${client.server} has no device sign-in (a Codeyard server older than accounts and tokens). If it runs in anonymous mode, continue as a guest.`);
    }
    throw err;
  }
  checkAuthorization(authorization, client.server);
  options.onCode(authorization);
  await options.openExternal(authorization.verificationUriComplete);

  let interval = authorization.interval;
  const deadline = options.now() + authorization.expiresIn * 1000;
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    await options.sleep(interval * 1000, signal);
    if (signal?.aborted) throw new SignInError('cancelled', 'sign-in cancelled');
    if (options.now() >= deadline) break;
    try {
      const token = await client.deviceToken(authorization.deviceCode);
      if (typeof token?.token !== 'string' || token.token.length < 8) throw new SignInError('bad-answer', `${client.server} approved the sign-in but sent no token`);
      return token;
    } catch (err) {
      if (!(err instanceof PortalError)) throw err;
      if (err.code === 'AUTHORIZATION_PENDING') continue;
      if (err.code === 'SLOW_DOWN') {
        interval += SLOW_DOWN_STEP_S;
        continue;
      }
      if (err.code === 'ACCESS_DENIED') throw new SignInError('denied', 'the sign-in was denied in the browser');
      if (err.code === 'EXPIRED_TOKEN') break;
      if (err.code === 'NETWORK' || err.status === 429 || err.status >= 500) continue; // passing trouble: the next poll tries again
      throw new SignInError('failed', `sign-in failed: ${err.message}`);
    }
  }
  throw new SignInError('expired', 'the sign-in code expired before it was approved; start again');
}

/** Refuses an answer that would make the app open a page off the server or poll forever. */
export function checkAuthorization(a: DeviceAuthorization, server: string): void {
  const bad = (what: string) => new SignInError('bad-answer', `${server} answered the sign-in request with ${what}`);
  if (typeof a?.deviceCode !== 'string' || !a.deviceCode) throw bad('no device code');
  if (typeof a.userCode !== 'string' || !/^[A-Z0-9-]{4,16}$/.test(a.userCode)) throw bad('an odd user code');
  for (const field of ['verificationUri', 'verificationUriComplete'] as const) {
    let url: URL;
    try {
      url = new URL(a[field]);
    } catch {
      throw bad(`no valid ${field}`);
    }
    if (url.origin !== server) throw bad(`a ${field} on another site (${url.origin})`);
  }
  if (!Number.isFinite(a.interval) || a.interval < 1 || a.interval > 60) throw bad('a polling interval outside 1-60 s');
  if (!Number.isFinite(a.expiresIn) || a.expiresIn < 10 || a.expiresIn > 3600) throw bad('a code lifetime outside 10 s - 1 h');
}

/** A sleep that an AbortSignal cuts short. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
