import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppStateSchema, ExecResultSchema, ref } from '@codeyard/common/api/models';
import { ExecBody, ReplIdParams } from '@codeyard/common/api/requests';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

const appState = ref(AppStateSchema);

/** Run: the app's state, Run, Restart and Stop app, and one-off commands (behind the auth hook; the app's output is in app-logs.ts). */
export const runRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls }) => {
  app.get('/api/repls/:id/app', { schema: { summary: 'State of the Run process', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } }, async (request) => {
    return repls.apps.state(accountOf(request).id, request.params.id);
  });

  app.post('/api/repls/:id/app/start', { schema: { summary: 'Run: start the app (and the repl, when stopped)', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } }, async (request) => {
    return repls.apps.start(accountOf(request).id, request.params.id);
  });

  app.post(
    '/api/repls/:id/app/restart',
    { schema: { summary: 'Restart the app: stop it when it runs, then start it (the repl too, when stopped)', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } },
    async (request) => repls.apps.start(accountOf(request).id, request.params.id, { restart: true }),
  );

  app.post(
    '/api/repls/:id/app/stop',
    { schema: { summary: 'Stop app: end the Run process (SIGTERM, then SIGKILL, to its whole process group); the repl keeps running', tags: ['run'], params: ReplIdParams, response: { 200: appState, ...commonErrors } } },
    async (request) => repls.apps.stop(accountOf(request).id, request.params.id),
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
    async (request) => repls.apps.exec(accountOf(request).id, request.params.id, request.body),
  );
};
