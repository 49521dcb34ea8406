import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SafeStorage } from '../../src/main/server-store.js';
import type { Scheduler } from '../../src/main/reconnector.js';

/** A test double of Electron's safeStorage: reversible "encryption" that is visibly not the token. */
export function safeStorageDouble(options: { available?: boolean; backend?: string } = {}): SafeStorage & { failDecrypt: boolean } {
  return {
    failDecrypt: false,
    isEncryptionAvailable: () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptString: (text) => Buffer.from(`enc:${Buffer.from(text).reverse().toString('hex')}`),
    decryptString(buf) {
      if (this.failDecrypt) throw new Error('key changed');
      return Buffer.from(buf.toString().slice(4), 'hex').reverse().toString();
    },
  };
}

/** A scheduler double: timers fire only when the test says, the clock moves only when told. */
export class ManualScheduler implements Scheduler {
  now_ = 1_000_000;
  timers: Array<{ fn: () => void; at: number; handle: number }> = [];
  #next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.#next++;
    this.timers.push({ fn, at: this.now_ + ms, handle });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  }
  now(): number {
    return this.now_;
  }
  /** Moves the clock to the next timer and runs it; answers the wait it skipped. */
  fireNext(): number {
    this.timers.sort((a, b) => a.at - b.at);
    const timer = this.timers.shift();
    if (!timer) throw new Error('no timer pending');
    const waited = timer.at - this.now_;
    this.now_ = timer.at;
    timer.fn();
    return waited;
  }
}

/** A webContents double: an EventEmitter with Electron's window-open handler slot. */
export class WebContentsDouble extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' } | { action: 'allow' }) | undefined;
  constructor(readonly id: number) {
    super();
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void {
    this.windowOpenHandler = handler;
  }
  /** Fires a navigation as Electron does; answers whether it was prevented. */
  navigate(event: 'will-frame-navigate' | 'will-redirect', url: string, isMainFrame = true): boolean {
    let prevented = false;
    this.emit(event, { url, isMainFrame, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

export interface DeviceFlowCall {
  path: string;
  body: Record<string, unknown>;
  authorization?: string;
}

/**
 * A test double of the #14 contract's device flow and token revocation (the tokens branch
 * builds the real routes; until it lands, this speaks the same JSON on a loopback port):
 * `POST /api/auth/device`, `POST /api/auth/device/token` answering pending / slow down /
 * denied / expired / the token as the test scripts it, `DELETE /api/tokens/current`.
 */
export class DeviceFlowServerDouble {
  readonly calls: DeviceFlowCall[] = [];
  /** What each token poll answers, in order; the last one repeats. */
  polls: Array<'pending' | 'slow' | 'denied' | 'expired' | 'approve'> = ['approve'];
  interval = 1;
  expiresIn = 600;
  verificationOrigin: string | undefined;
  revoked = new Set<string>();
  tokenStatus = 204;
  #server = http.createServer((req, res) => void this.#handle(req, res));
  origin = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    this.calls.push({ path: `${req.method} ${req.url}`, body, authorization: req.headers.authorization });
    const send = (status: number, value?: unknown) => {
      res.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
      res.end(value === undefined ? undefined : JSON.stringify(value));
    };
    const error = (code: string, message: string) => send(400, { error: { code, message } });
    if (req.method === 'POST' && req.url === '/api/auth/device') {
      const origin = this.verificationOrigin ?? this.origin;
      return send(200, { deviceCode: 'dev-code-1', userCode: 'WDJB-MJHT', verificationUri: `${origin}/device`, verificationUriComplete: `${origin}/device?code=WDJB-MJHT`, expiresIn: this.expiresIn, interval: this.interval });
    }
    if (req.method === 'POST' && req.url === '/api/auth/device/token') {
      const next = this.polls.length > 1 ? this.polls.shift()! : this.polls[0]!;
      if (next === 'pending') return error('AUTHORIZATION_PENDING', 'not approved yet');
      if (next === 'slow') return error('SLOW_DOWN', 'polling too fast');
      if (next === 'denied') return error('ACCESS_DENIED', 'denied');
      if (next === 'expired') return error('EXPIRED_TOKEN', 'expired');
      return send(200, { token: 'cyp_issued_by_the_double', tokenId: 'tok1', account: { id: 'acc1', email: 'ada@example.com', name: 'Ada', role: 'member' } });
    }
    if (req.method === 'DELETE' && req.url === '/api/tokens/current') {
      const codes: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND' };
      if (this.tokenStatus !== 204) return send(this.tokenStatus, { error: { code: codes[this.tokenStatus] ?? 'INTERNAL', message: 'as scripted' } });
      this.revoked.add(req.headers.authorization ?? '');
      return send(204);
    }
    if (req.url === '/healthz') return send(200, { ok: true });
    send(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
  }
}
