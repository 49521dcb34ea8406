import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type AdminRepl, ref, ServerSchema, type Usage } from '@codeyard/common/api/models';
import { AccountIdParams, AlwaysOnAllowanceBody, AlwaysOnAllowanceReply } from '@codeyard/common/api/requests';
import type { SandboxUsage } from '../../runtime/usage.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

/** A measured usage as the API shows it (none until memory was read). */
function shown(usage: SandboxUsage | undefined): Usage | undefined {
  if (usage?.memoryBytes === undefined) return undefined;
  return { memoryBytes: usage.memoryBytes, ...(usage.cpuPercent !== undefined ? { cpuPercent: usage.cpuPercent } : {}) };
}

/**
 * /api/admin/*: what the whole server holds, across accounts. The admin token is checked by
 * api/admin-auth.ts for every path under /api/admin/ (nothing to add here for a new route).
 */
export const adminRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, runtime, alwaysOn, capacity }) => {
  app.get(
    '/api/admin/server',
    {
      schema: {
        summary: 'What this server holds: capacity, what counts against it, the line of waiting starts, every running repl and warm sandbox (admin token)',
        tags: ['admin'],
        response: { 200: ref(ServerSchema), 401: errorReply, 403: errorReply },
      },
    },
    async () => {
      const snapshot = await capacity.snapshot();
      const running: AdminRepl[] = [];
      let cpuPercent = 0;
      for (const [id, usage] of snapshot.usage.repls) {
        cpuPercent += usage.cpuPercent ?? 0;
        const record = await repls.record(id);
        if (!record) continue;
        const measured = shown(usage);
        running.push({ id, owner: record.owner, name: record.name, stack: record.stack, status: runtime.status(id).state, ...(measured ? { usage: measured } : {}), ...(usage.oomKills !== undefined ? { oomKills: usage.oomKills } : {}) });
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

  app.put(
    '/api/admin/accounts/:id/always-on',
    {
      schema: {
        summary: "Sets an account's always-on allowance: how many repls it may keep always on (admin token)",
        tags: ['admin'],
        params: AccountIdParams,
        body: AlwaysOnAllowanceBody,
        response: { 200: AlwaysOnAllowanceReply, 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => alwaysOn.setAllowance(request.params.id, request.body.allowance),
  );

  app.delete(
    '/api/admin/accounts/:id/always-on',
    {
      schema: {
        summary: "Gives an account the default always-on allowance again (CODEYARD_ALWAYS_ON_PER_ACCOUNT) (admin token)",
        tags: ['admin'],
        params: AccountIdParams,
        response: { 200: AlwaysOnAllowanceReply, 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => alwaysOn.setAllowance(request.params.id, null),
  );
};
