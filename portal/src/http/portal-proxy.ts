import { AgentClient } from '@codeyard/common/agent/client';
import { AppError } from '@codeyard/common/errors';
import type { PublicOrigin } from '@codeyard/common/hostnames';
import type { GrantSigner, TicketLedger } from '@codeyard/common/tickets';
import { IdeStaticFiles } from '@codeyard/proxy/ide-static';
import { type ProxyBackend, ReplProxy } from '@codeyard/proxy/repl-proxy';
import type { PortalDeps } from '../app.js';
import type { CapacityGate } from '../capacity/capacity-gate.js';
import { clientAddressOf } from './client-address.js';
import type { ActivityTracker } from '../idle/activity-tracker.js';
import type { ReplService } from '../repls/repl-service.js';
import { ideStaticCacheDir } from '../runtime/process/code-server-provision.js';

/** The repl proxy, reading what it needs about a repl from the repl service and the runtime. */
export function replProxy(
  deps: PortalDeps,
  parts: {
    repls: ReplService;
    capacity: CapacityGate;
    signer: GrantSigner;
    publicOrigin: PublicOrigin;
    tickets: TicketLedger;
    activity: ActivityTracker | undefined;
    ownerActive: (account: string) => Promise<boolean>;
    /** Signed-out sessions and revoked tokens: the host cookies they opened stop working. */
    revoked: (via: string) => boolean;
  },
): ReplProxy {
  const { runtime, config } = deps;
  const { repls, capacity, signer, publicOrigin, tickets, activity, ownerActive, revoked } = parts;
  const backend: ProxyBackend = {
    async lookup(replId) {
      const record = await repls.routeRecord(replId);
      if (!record) return undefined;
      const status = runtime.status(replId);
      const endpoints = runtime.endpoints(replId);
      return {
        owner: record.owner,
        status: status.state,
        step: status.step,
        error: status.error,
        queue: capacity.position(replId),
        ide: endpoints?.ide,
        port: endpoints ? (port) => endpoints.port(port) : undefined,
        isPublic: (port) => repls.isPublic(record, port),
        ideStatic: config.ideStatic ? endpoints?.ideStatic : undefined,
        idePage: config.ideStatic && config.idePage ? endpoints?.idePage : undefined,
      };
    },
    // A disabled owner's host cookie still verifies (it is signed, not looked up): it wakes nothing and runs nothing.
    wake: (replId, account, options) => void ownerActive(account).then((active) => active && repls.wake(replId, account, options), () => undefined),
    // The Codeyard bar's Run, Restart and Stop app: the same use cases as the API's, as the owner the proxy checked.
    async app(replId, account, action) {
      if (!(await ownerActive(account))) throw new AppError('FORBIDDEN', 'the account that owns this repl is disabled');
      activity?.touch(replId);
      const app =
        action === 'start' || action === 'restart' ? await repls.apps.start(account, replId, { restart: action === 'restart' }) : action === 'stop' ? await repls.apps.stop(account, replId) : await repls.apps.state(account, replId);
      return { app, previewUrl: repls.specOf(await repls.get(account, replId)).info?.previewUrl ?? '' };
    },
    name: async (replId) => (await repls.routeRecord(replId))?.name ?? replId,
    activity,
    revoked,
    // Asked by the proxy before it makes VS Code's page itself; any doubt leaves it to code-server.
    async displayLanguageSet(replId) {
      const endpoints = runtime.endpoints(replId);
      if (!endpoints) return true;
      return (await new AgentClient(endpoints.agent).ideLocale()).configured !== false;
    },
  };
  // Ticket nonces are used up in the database: a ticket redeemed on one portal is refused on every other.
  // code-server's static files, compressed once into the portal's cache (never into a repl's folders).
  const ideStatic = config.ideStatic ? new IdeStaticFiles({ cacheDir: ideStaticCacheDir(config.cacheDir), log: deps.log }) : undefined;
  const clientAddress = clientAddressOf(config.trustedProxies);
  return new ReplProxy({ backend, signer, publicOrigin, sessionTtlMs: config.sessionTtlMs, ticketsPerMinute: config.ticketsPerMinute, clientAddress, tickets, log: deps.log, ideStatic });
}
