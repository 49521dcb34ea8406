import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ref, UsageSchema } from '@codeyard/common/api/models';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors } from '../schemas.js';

/**
 * GET /api/usage: what each of the account's running repls uses, from the last reading (every
 * few seconds). The dashboard polls it while a repl runs: one small answer, no agent asked, so
 * the live figures cost nothing like re-sending every repl's view would.
 */
export const usageRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, capacity, runtime }) => {
  app.get(
    '/api/usage',
    { schema: { summary: "Memory and CPU of the account's running repls, by repl id", tags: ['repls'], response: { 200: Type.Record(Type.String(), ref(UsageSchema)), ...commonErrors } } },
    async (request) => {
      const out: Record<string, { memoryBytes: number; cpuPercent?: number }> = {};
      for (const record of await repls.list(accountOf(request).id)) {
        const usage = runtime.status(record.id).state === 'stopped' ? undefined : capacity.usageOf(record.id);
        if (usage?.memoryBytes !== undefined) out[record.id] = { memoryBytes: usage.memoryBytes, ...(usage.cpuPercent !== undefined ? { cpuPercent: usage.cpuPercent } : {}) };
      }
      return out;
    },
  );
};
