import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { AppError } from '@codeyard/common/errors';
import { isReplId, type ReplId } from '@codeyard/common/repl-id';
import { relayHandler, type RelayOptions, sendRelayError } from './workspace-relay.js';
import type { WorkspaceStore } from './workspace-store.js';

/**
 * Per-repl credentials for the network relay: `<repl>.<sandbox>.<mac>`, the MAC keyed from the
 * portal's signing key. Any portal replica checks one without a lookup (they share the key), and
 * one names a single repl in a single pod: it opens that repl's workspace only, and only while
 * that pod lives (the relay asks the runtime). A repl's user can read its own credential (it is
 * in the pod), which gives them nothing their repl does not already have.
 */
export class RelayCredentials {
  readonly #key: Buffer;

  constructor(signingKey: Buffer) {
    // A key of its own, so a relay credential is never also a valid ticket or cookie MAC.
    this.#key = createHmac('sha256', signingKey).update('codeyard workspace relay credential v1').digest();
  }

  issue(repl: ReplId, sandbox: string): string {
    return `${repl}.${sandbox}.${this.#mac(repl, sandbox)}`;
  }

  /** The repl and pod a credential was made for; undefined when it is not one of ours. */
  verify(token: string): { repl: ReplId; sandbox: string } | undefined {
    const match = /^([a-z2-7]{12})\.([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match || !isReplId(match[1])) return undefined;
    const expected = Buffer.from(this.#mac(match[1], match[2]!));
    const given = Buffer.from(match[3]!);
    return given.length === expected.length && timingSafeEqual(given, expected) ? { repl: match[1], sandbox: match[2]! } : undefined;
  }

  #mac(repl: string, sandbox: string): string {
    return createHmac('sha256', this.#key).update(`${repl}\n${sandbox}`).digest('base64url');
  }
}

export interface NetworkRelayOptions {
  workspaces: WorkspaceStore;
  credentials: RelayCredentials;
  /** Is `sandbox` a live pod of `repl` (its labels say so)? A credential of a gone pod opens nothing. */
  live(repl: ReplId, sandbox: string): boolean | Promise<boolean>;
  /** The repl's workspace quota (its stack's disk limit). */
  quotaBytes(repl: ReplId): number;
  onBlob?: RelayOptions['onBlob'];
}

/**
 * The workspace relay for repl pods, on the portal's relay port: the same API as a relay socket
 * (workspace-relay.ts), one server for every repl, each request opened by the repl's credential
 * (`Authorization: Bearer`). Who may reach it: repl pods (their NetworkPolicy lets them out to
 * the portal pods on this port only); what one may do: its own repl's workspace, while its pod
 * lives. Anything else is a 401 that says nothing of which part was wrong.
 */
export class NetworkRelay {
  readonly server: http.Server;
  readonly #o: NetworkRelayOptions;
  /** One handler per repl (its own count of running uploads), made on its first request. */
  readonly #handlers = new Map<ReplId, ReturnType<typeof relayHandler>>();

  constructor(options: NetworkRelayOptions) {
    this.#o = options;
    this.server = http.createServer((req, res) => void this.#serve(req, res));
  }

  /** Drops what the relay holds for a repl whose pod is gone, and sweeps its unnamed uploads. */
  forget(repl: ReplId): void {
    if (this.#handlers.delete(repl)) void this.#o.workspaces.gc(`workspaces/${repl}/`).catch(() => undefined);
  }

  listen(port: number, host?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const who = auth ? this.#o.credentials.verify(auth[1]!) : undefined;
    if (!who || !(await Promise.resolve(this.#o.live(who.repl, who.sandbox)).catch(() => false))) {
      res.setHeader('www-authenticate', 'Bearer realm="codeyard workspace relay"');
      return sendRelayError(req, res, new AppError('UNAUTHENTICATED', "the workspace relay needs a repl pod's own credential (Authorization: Bearer), of a pod that is running"));
    }
    let handler = this.#handlers.get(who.repl);
    if (!handler) {
      const prefix = `workspaces/${who.repl}/`;
      handler = relayHandler({ workspaces: this.#o.workspaces, prefix, quotaBytes: this.#o.quotaBytes(who.repl), onBlob: this.#o.onBlob });
      this.#handlers.set(who.repl, handler);
      void this.#o.workspaces.gc(prefix).catch(() => undefined);
    }
    handler(req, res);
  }
}
