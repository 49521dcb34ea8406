import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ref, ReplSchema } from '@codeyard/common/api/models';
import { CreateReplBody, ForkReplBody, IdeLinkBody, IdeLinkReply, ChangeReplBody, ReplIdParams } from '@codeyard/common/api/requests';
import { credentialRef } from '../../accounts/credential-revocations.js';
import { checkName } from '../../repls/repl-record.js';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

const repl = ref(ReplSchema);

/** /api/repls: an account's repls, their lifecycle and the links that open them (behind the auth hook). */
export const replRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, alwaysOn, runtime }) => {
  app.get('/api/repls', { schema: { summary: "The account's repls, newest first", tags: ['repls'], response: { 200: Type.Array(repl), ...commonErrors } } }, async (request) => {
    const records = await repls.list(accountOf(request).id);
    return Promise.all(records.map((r) => repls.view(r)));
  });

  app.post(
    '/api/repls',
    { schema: { summary: 'Create a repl from a stack template', tags: ['repls'], body: CreateReplBody, response: { 201: repl, 409: errorReply, ...commonErrors } } },
    async (request, reply) => {
      const record = await repls.create(accountOf(request).id, request.body.stack, request.body.name, { start: request.body.start });
      return reply.code(201).send(await repls.view(record));
    },
  );

  app.get('/api/repls/:id', { schema: { summary: 'One repl', tags: ['repls'], params: ReplIdParams, response: { 200: repl, ...commonErrors } } }, async (request) => {
    return repls.view(await repls.get(accountOf(request).id, request.params.id));
  });

  app.patch(
    '/api/repls/:id',
    {
      schema: {
        summary: "Rename a repl, or mark it always on (within the account's allowance: 409 beyond it) or off",
        tags: ['repls'],
        params: ReplIdParams,
        body: ChangeReplBody,
        response: { 200: repl, 409: errorReply, ...commonErrors },
      },
    },
    async (request) => {
      const owner = accountOf(request).id;
      const { id } = request.params;
      const { name, alwaysOn: on } = request.body;
      // Checked before anything changes, so a refused always-on leaves the name as it was too.
      const checked = name === undefined ? undefined : checkName(name);
      if (on !== undefined && (await alwaysOn.set(owner, id, on))) {
        // Marked always on while stopped: it starts, app and all, as a visit would wake it.
        if (on && runtime.status(id).state === 'stopped') repls.wake(id, owner, { runApp: true });
      }
      const record = checked === undefined ? await repls.get(owner, id) : await repls.rename(owner, id, checked);
      return repls.view(record);
    },
  );

  app.delete('/api/repls/:id', { schema: { summary: 'Delete a repl: runtime and stored files', tags: ['repls'], params: ReplIdParams, response: { 204: Type.Null(), ...commonErrors } } }, async (request, reply) => {
    await repls.remove(accountOf(request).id, request.params.id);
    return reply.code(204).send(null);
  });

  app.post(
    '/api/repls/:id/fork',
    {
      schema: {
        summary: 'Copy a repl (its latest files; a running repl saves first) into a new repl of the same account',
        tags: ['repls'],
        params: ReplIdParams,
        body: ForkReplBody,
        response: { 201: repl, 409: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      const record = await repls.fork(accountOf(request).id, request.params.id, request.body?.name);
      return reply.code(201).send(await repls.view(record));
    },
  );

  app.post('/api/repls/:id/start', { schema: { summary: 'Start a repl; answers once it is running', tags: ['repls'], params: ReplIdParams, response: { 200: repl, ...commonErrors } } }, async (request) => {
    return repls.view(await repls.start(accountOf(request).id, request.params.id));
  });

  app.post('/api/repls/:id/stop', { schema: { summary: 'Stop a repl with its files saved', tags: ['repls'], params: ReplIdParams, response: { 200: repl, ...commonErrors } } }, async (request) => {
    return repls.view(await repls.stop(accountOf(request).id, request.params.id));
  });

  app.post(
    '/api/repls/:id/ide-link',
    {
      schema: {
        summary: 'A single-use link that opens the IDE (or, with port, a private preview) in a browser',
        tags: ['repls'],
        params: ReplIdParams,
        body: IdeLinkBody,
        response: { 200: IdeLinkReply, ...commonErrors },
      },
    },
    async (request) => ({ url: await repls.ideLink(accountOf(request).id, request.params.id, { port: request.body?.port, bar: request.body?.bar, via: credentialRef(request.credential) }) }),
  );
};
