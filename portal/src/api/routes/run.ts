import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { AppStateSchema, ExecResultSchema, ref } from '@codeyard/common/api/models';
import { ExecBody, ReplIdParams } from '@codeyard/common/api/requests';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

const appState = ref(AppStateSchema);

/** Run: the app's state, start and stop, one-off commands, and the app's log stream (behind the auth hook). */
export const runRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, activity }) => {
  app.get('/api/repls/:id/app', { schema: { summary: 'State of the Run process', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } }, async (request) => {
    return repls.app(accountOf(request).id, request.params.id);
  });

  app.post('/api/repls/:id/app/start', { schema: { summary: 'Run: start the app (and the repl, when stopped)', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } }, async (request) => {
    return repls.startApp(accountOf(request).id, request.params.id);
  });

  app.post(
    '/api/repls/:id/app/stop',
    { schema: { summary: 'Stop the app (SIGTERM, then SIGKILL, to its whole process group)', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } },
    async (request) => repls.stopApp(accountOf(request).id, request.params.id),
  );

  app.post(
    '/api/repls/:id/exec',
    {
      schema: {
        summary: 'Run a one-off shell command in the workspace',
        tags: ['run'],
        params: ReplIdParams,
        body: ExecBody,
        response: { 200: ref(ExecResultSchema), 409: errorReply, ...commonErrors },
      },
    },
    async (request) => repls.exec(accountOf(request).id, request.params.id, request.body),
  );

  // The app's log stream, a WebSocket: answered like any route (auth hook, schema, errors as
  // HTTP answers) until the socket is upgraded, which happens only once the repl is known to
  // be the caller's and running: 401 without a session, 403 for a cookie from another origin,
  // 404 for a repl that is not the caller's, 409 when it is not running.
  const agentSockets = new WeakMap<FastifyRequest, Target>();
  app.route({
    method: 'GET',
    url: '/api/repls/:id/app/logs',
    schema: { hide: true, params: ReplIdParams },
    preHandler: async (request) => {
      if (request.ws) agentSockets.set(request, await repls.logsTarget(accountOf(request).id, request.params.id));
    },
    wsHandler: (client, request) => {
      relayLogs(client, agentSockets.get(request)!);
      // Someone watching the app's output is using the repl for as long as they watch.
      const release = activity?.hold(request.params.id);
      if (release) client.once('close', release);
    },
    handler: async (request) => {
      throw new AppError('NOT_FOUND', `${request.url.split('?')[0]} is a WebSocket: open it with an Upgrade handshake`);
    },
  });
};

/** Pipes the agent's log frames to a browser (or API) client until either side closes. */
function relayLogs(client: WebSocket, agent: Target): void {
  // The agent's control socket, or a pod's gate (whose first line goes out before the handshake).
  const upstream = agent.kind === 'unix' ? new WebSocket(`ws+unix://${agent.socketPath}:/app/logs`) : new WebSocket('ws://agent/app/logs', { createConnection: () => connectTarget(agent) });
  upstream.on('message', (data) => {
    if (client.readyState === WebSocket.OPEN) client.send(data.toString());
  });
  const closeBoth = (): void => {
    client.close();
    upstream.terminate();
  };
  upstream.on('close', closeBoth);
  upstream.on('error', closeBoth);
  client.on('close', () => upstream.terminate());
  client.on('error', () => upstream.terminate());
}
