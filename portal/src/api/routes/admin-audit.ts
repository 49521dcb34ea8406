import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type AuditPage, AuditPageReply, AuditQuery } from '@codeyard/common/api/admin';
import { AppError } from '@codeyard/common/errors';
import { parseTime } from '../../audit/audit.js';
import type { AuditFilter } from '../../db/audit-repository.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', jsonl: 'application/jsonl; charset=utf-8' } as const;

/**
 * GET /api/admin/audit: the audit log, newest first: a page as JSON for the admin page, or every
 * matching event as a CSV or JSON-lines download (streamed in batches, never all in memory).
 * Who may call: api/admin-auth.ts, for all of /api/admin/.
 */
export const adminAuditRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { audit }) => {
  app.get(
    '/api/admin/audit',
    {
      schema: {
        summary: 'The audit log: sign-ins, token use, device approvals, admin actions, admins opening IDEs of others',
        description: 'format=json (default) answers a page with a cursor; csv and jsonl download every matching event. Filters: since, until (ISO date or date-time), kind (or a prefix like `admin.`), account (by it or about it).',
        tags: ['admin'],
        querystring: AuditQuery,
        response: { 200: AuditPageReply, 400: errorReply, 401: errorReply, 403: errorReply },
      },
    },
    async (request, reply) => {
      const query = request.query;
      const filter: AuditFilter = {
        since: parseTime('since', query.since),
        until: parseTime('until', query.until),
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.account ? { account: query.account } : {}),
      };
      if (filter.since && filter.until && filter.since >= filter.until) throw new AppError('VALIDATION', `since (${query.since}) must be before until (${query.until})`);
      const format = query.format ?? 'json';
      if (format === 'json') return audit.page(filter, query.limit ?? 50, query.cursor);
      if (query.cursor || query.limit) throw new AppError('VALIDATION', `cursor and limit page the JSON list; a ${format} export has every matching event (narrow it with since and until)`);
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="codeyard-audit-${stamp}.${format}"`)
        .header('cache-control', 'no-store')
        // A stream is sent as it is (the 200 schema describes the JSON page; Fastify serializes only objects).
        .send(Readable.from(audit.export(filter, format)) as unknown as AuditPage);
    },
  );
};
