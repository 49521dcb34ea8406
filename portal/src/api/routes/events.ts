import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@codeyard/common/errors';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

/** Live status streams one account may hold open (each is a socket and a listener). */
const MAX_EVENT_STREAMS = 8;

/** GET /api/events: live status for the dashboard, server-sent events of this account's repls only. */
export const eventRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls }) => {
  const streams = new Map<string, number>();
  app.get(
    '/api/events',
    {
      schema: {
        summary: "Server-sent events: `repl` (a Repl, whenever one of the account's repls changes) and `deleted` ({ id })",
        tags: ['repls'],
        produces: ['text/event-stream'],
        response: { 429: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      const owner = accountOf(request).id;
      const open = streams.get(owner) ?? 0;
      if (open >= MAX_EVENT_STREAMS) throw new AppError('RATE_LIMITED', `this account already has ${open} live status streams open; close a tab`);
      streams.set(owner, open + 1);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      res.write('retry: 2000\n: live\n\n');
      const unwatch = repls.watch(owner, (event) => {
        const data = event.type === 'repl' ? event.repl : { id: event.id };
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
      });
      // Comments keep idle proxies from closing the stream.
      const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
      request.raw.socket.once('close', () => {
        clearInterval(ping);
        unwatch();
        const left = (streams.get(owner) ?? 1) - 1;
        if (left > 0) streams.set(owner, left);
        else streams.delete(owner);
      });
    },
  );
};
