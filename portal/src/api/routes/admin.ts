import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type AdminRepl, ref, ServerSchema, type Usage } from '@codeyard/common/api/models';
import { AccountIdParams, AlwaysOnAllowanceBody, AlwaysOnAllowanceReply, ReplIdParams } from '@codeyard/common/api/requests';
import { AppError } from '@codeyard/common/errors';
import { seenFrom } from '../../audit/request-actor.js';
import type { SandboxUsage } from '../../runtime/usage.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

/** A measured usage as the API shows it (none until memory was read). */
function shown(usage: SandboxUsage | undefined): Usage | undefined {
  if (usage?.memoryBytes === undefined) return undefined;
  return { memoryBytes: usage.memoryBytes, ...(usage.cpuPercent !== undefined ? { cpuPercent: usage.cpuPercent } : {}) };
}

/**
 * /api/admin/*: what the whole server holds, across accounts, and stopping any repl. Who may
 * call is checked by api/admin-auth.ts for every path under /api/admin/ (nothing to add here
 * for a new route); every change is written to the audit log.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, runtime, alwaysOn, capacity, accounts, audit }) => {
  app.get(
    '/api/admin/server',
    {
      schema: {
        summary: 'What this server holds: capacity, what counts against it, the line of waiting starts, every running repl (with its owner) and warm sandbox',
        tags: ['admin'],
        response: { 200: ref(ServerSchema), 401: errorReply, 403: errorReply },
      },
    },
    async () => {
      const snapshot = await capacity.snapshot();
      const running: AdminRepl[] = [];
      const emails = new Map<string, string | undefined>();
      let cpuPercent = 0;
      for (const [id, usage] of snapshot.usage.repls) {
        cpuPercent += usage.cpuPercent ?? 0;
        const record = await repls.record(id);
        if (!record) continue;
        if (!emails.has(record.owner)) emails.set(record.owner, (await accounts.byId(record.owner))?.email);
        const ownerEmail = emails.get(record.owner);
        const measured = shown(usage);
        running.push({
          id,
          owner: record.owner,
          ...(ownerEmail ? { ownerEmail } : {}),
          name: record.name,
          stack: record.stack,
          status: runtime.status(id).state,
          ...(measured ? { usage: measured } : {}),
          ...(record.memoryMb ? { memoryLimitMb: record.memoryMb } : {}),
          ...(usage.oomKills !== undefined ? { oomKills: usage.oomKills } : {}),
        });
      }
      const warm = snapshot.usage.warm.map((w) => {
        cpuPercent += w.usage.cpuPercent ?? 0;
        const measured = shown(w.usage);
        return { sandboxId: w.sandboxId, stack: w.stack, ...(measured ? { usage: measured } : {}) };
      });
      return {
        runtime: runtime.name,
        capacity: { ...snapshot.capacity, estimateBytes: snapshot.estimateBytes },
        use: {
          chargedBytes: snapshot.outcome.chargedBytes,
          warmBytes: snapshot.outcome.warmBytes,
          ...(snapshot.availableBytes !== undefined ? { availableBytes: snapshot.availableBytes } : {}),
          cpuPercent: Math.round(cpuPercent * 10) / 10,
          startFits: snapshot.outcome.fits,
        },
        queue: snapshot.queue.map(({ replId, owner, position, since }) => ({ replId, owner, position, since })),
        repls: running,
        warm,
      };
    },
  );

  app.post(
    '/api/admin/repls/:id/stop',
    {
      schema: {
        summary: "Stops any account's repl (its files are saved, as at every stop); the owner can start it again",
        tags: ['admin'],
        params: ReplIdParams,
        response: { 200: Type.Object({ id: Type.String(), owner: Type.String(), status: Type.String() }), 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => {
      const record = await repls.record(request.params.id);
      if (!record) throw new AppError('NOT_FOUND', `no repl ${request.params.id}`);
      const was = runtime.status(record.id).state;
      await repls.stop(record.owner, record.id);
      await audit.record({ kind: 'admin.repl-stop', ...seenFrom(request), target: { type: 'repl', id: record.id, account: record.owner }, details: { name: record.name, was } });
      return { id: record.id, owner: record.owner, status: runtime.status(record.id).state };
    },
  );

  /** Sets (a number) or resets (null) an account's allowance, recorded. */
  const setAllowance = async (request: FastifyRequest, id: string, allowance: number | null) => {
    const result = await alwaysOn.setAllowance(id, allowance);
    await audit.record({ kind: 'admin.allowance', ...seenFrom(request), target: { type: 'account', id, account: id }, details: { allowance: result.allowance, override: allowance } });
    return result;
  };

  app.put(
    '/api/admin/accounts/:id/always-on',
    {
      schema: {
        summary: "Sets an account's always-on allowance: how many repls it may keep always on",
        tags: ['admin'],
        params: AccountIdParams,
        body: AlwaysOnAllowanceBody,
        response: { 200: AlwaysOnAllowanceReply, 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => setAllowance(request, request.params.id, request.body.allowance),
  );

  app.delete(
    '/api/admin/accounts/:id/always-on',
    {
      schema: {
        summary: 'Gives an account the default always-on allowance again (CODEYARD_ALWAYS_ON_PER_ACCOUNT)',
        tags: ['admin'],
        params: AccountIdParams,
        response: { 200: AlwaysOnAllowanceReply, 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => setAllowance(request, request.params.id, null),
  );
};
