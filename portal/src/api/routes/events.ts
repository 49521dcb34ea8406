import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { accountOf } from '../auth.js';
import { EventStreams } from '../event-stream.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

/** Live status streams one account may hold open (each is a socket and a listener). */
const MAX_EVENT_STREAMS = 8;

/** GET /api/events: live status for the dashboard, server-sent events of this account's repls only. */
export const eventRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls }) => {
  const streams = new EventStreams(MAX_EVENT_STREAMS, 'live status streams');
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
      const stream = streams.open(request, reply, owner);
      stream.onClose(repls.watch(owner, (event) => stream.send(event.type, event.type === 'repl' ? event.repl : { id: event.id })));
    },
  );
};
