import type { DeviceStart, DeviceStarted, DeviceTokenGranted } from '@codeyard/common/api/tokens';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './exit-codes.js';

/** POST /api/auth/device's answer and /api/auth/device/token's once approved: the API's own types. */
export type { DeviceStarted, DeviceTokenGranted } from '@codeyard/common/api/tokens';

export interface DeviceLoginDeps {
  client: ApiClient;
  /** Names the token the server issues ("codeyard CLI on <host>"). */
  name: string;
  /** Shown the code and link (and opens the browser) before polling starts. */
  prompt(start: DeviceStarted): Promise<void> | void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
}

/** RFC 8628 §3.5: on slow_down the client adds 5 seconds to its interval, for good. */
const SLOW_DOWN_STEP_S = 5;
/** Guards against a server that says "poll every 0 s" or "for a year". */
const MIN_INTERVAL_S = 1;
const MAX_WAIT_S = 30 * 60;

/**
 * Sign-in without a password in the terminal (RFC 8628 in spirit): ask for a code, show it and
 * the link to approve it, then poll until the user approves or denies in the browser or the
 * code expires. Polling is bounded by the code's lifetime (at most 30 minutes) and slows down
 * when the server says so.
 */
export async function deviceLogin(deps: DeviceLoginDeps): Promise<DeviceTokenGranted> {
  const now = deps.now ?? Date.now;
  const start = await startFlow(deps.client, deps.name);
  await deps.prompt(start);
  let interval = Math.max(MIN_INTERVAL_S, Number.isFinite(start.interval) ? start.interval : 5);
  const deadline = now() + Math.min(MAX_WAIT_S, Math.max(1, start.expiresIn)) * 1000;
  for (;;) {
    await deps.sleep(interval * 1000, deps.signal);
    let refusal: CliError;
    try {
      return await deps.client.json<DeviceTokenGranted>('POST', '/api/auth/device/token', { deviceCode: start.deviceCode });
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      refusal = err;
    }
    const code = refusal.code;
    switch (code) {
      case 'AUTHORIZATION_PENDING':
        break;
      case 'SLOW_DOWN': {
        // The server may say the interval it now wants; never less than RFC 8628's step.
        const wanted = (refusal.details as { interval?: unknown } | undefined)?.interval;
        interval = Math.max(interval + SLOW_DOWN_STEP_S, typeof wanted === 'number' && wanted <= MAX_WAIT_S ? wanted : 0);
        break;
      }
      case 'ACCESS_DENIED':
        throw new CliError(EXIT.AUTH, 'the sign-in was denied in the browser; nothing was stored', code);
      case 'EXPIRED_TOKEN':
        throw new CliError(EXIT.AUTH, `the code ${start.userCode} expired before it was approved: run \`codeyard login\` again`, code);
      default:
        throw refusal;
    }
    if (now() >= deadline) throw new CliError(EXIT.AUTH, `the code ${start.userCode} was not approved in time: run \`codeyard login\` again`, 'EXPIRED_TOKEN');
  }
}

async function startFlow(client: ApiClient, name: string): Promise<DeviceStarted> {
  let start: DeviceStarted;
  try {
    start = await client.json<DeviceStarted>('POST', '/api/auth/device', { client: 'codeyard CLI', name } satisfies DeviceStart);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.NOT_FOUND) {
      throw new CliError(EXIT.NOT_FOUND, `${client.server} has no device sign-in (a Codeyard from before accounts?): set CODEYARD_TOKEN to a token instead`, err.code);
    }
    throw err;
  }
  for (const field of ['deviceCode', 'userCode', 'verificationUri', 'verificationUriComplete'] as const) {
    if (typeof start?.[field] !== 'string') throw new CliError(EXIT.ERROR, `${client.server} answered the device sign-in without ${field}; is it a Codeyard server?`);
  }
  return start;
}
