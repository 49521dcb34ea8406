import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiTokenSchema, CreatedTokenReply, CreateTokenBody, TokenIdParams } from '@codeyard/common/api/tokens';
import { seenFrom } from '../../audit/request-actor.js';
import { accountOf } from '../auth.js';
import { credentialOf } from '../credential.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

/**
 * /api/tokens: the caller's personal API tokens (behind the auth hook, so any signed-in caller:
 * a browser session, or a token; creating and revoking need `write` like every change).
 */
export const tokenRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { tokens, audit }) => {
  app.get(
    '/api/tokens',
    { schema: { summary: "The account's API tokens (not the tokens themselves), newest first; expired ones until revoked", tags: ['tokens'], response: { 200: Type.Array(ApiTokenSchema), ...commonErrors } } },
    async (request) => tokens.list(accountOf(request).id),
  );

  app.post(
    '/api/tokens',
    {
      schema: {
        summary: 'Create an API token: the answer is the only time the token is shown',
        description: 'Scopes default to read and write. A token can create tokens only with its own scopes or fewer, expiring no later than itself.',
        tags: ['tokens'],
        body: CreateTokenBody,
        response: { 201: CreatedTokenReply, 403: errorReply, 409: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const created = await tokens.create(account, credentialOf(request), request.body);
      await audit.record({ kind: 'token.create', ...seenFrom(request), target: { type: 'token', id: created.id, account: account.id }, details: { name: created.name, scopes: created.scopes, expiresAt: created.expiresAt, via: 'api' } });
      return reply.code(201).send(created);
    },
  );

  // Registered beside /:id; the router prefers the static path. Only `read`: signing out must
  // work for a read-only token too, and it takes away rather than grants.
  app.delete(
    '/api/tokens/current',
    {
      config: { scope: 'read' },
      schema: { summary: 'Revoke the API token making this call (sign out of the CLI or the desktop app)', tags: ['tokens'], response: { 204: Type.Null(), 403: errorReply, ...commonErrors } },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const credential = credentialOf(request);
      await tokens.revokeCurrent(account.id, credential);
      await audit.record({ kind: 'token.revoke', ...seenFrom(request), target: { type: 'token', id: credential.id, account: account.id }, details: { current: true } });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/tokens/:id',
    { schema: { summary: 'Revoke one of the account\'s API tokens: it is refused (401) from now on, on every portal', tags: ['tokens'], params: TokenIdParams, response: { 204: Type.Null(), 403: errorReply, ...commonErrors } } },
    async (request, reply) => {
      const account = accountOf(request);
      await tokens.revoke(account.id, request.params.id);
      await audit.record({ kind: 'token.revoke', ...seenFrom(request), target: { type: 'token', id: request.params.id, account: account.id } });
      return reply.code(204).send(null);
    },
  );
};
