import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ReplIdParams } from '@codeyard/common/api/requests';
import { SecretEntrySchema, SecretListSchema, SecretParams, SetSecretBody } from '@codeyard/common/api/secrets';
import { AppError } from '@codeyard/common/errors';
import { secretNameProblem, secretValueProblem } from '@codeyard/common/secrets';
import { seenFrom } from '../../audit/request-actor.js';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

/**
 * /api/repls/:id/secrets: a repl's secrets, its owner's only (anyone else: the 404 of a repl not
 * theirs, checked before the input, so nobody learns anything of another's repl). Values are
 * write-only. Schema refusals are answered after the ownership check, in the shared words of
 * common/secrets.ts where they are about a name or a value (attachValidation).
 */
export const secretRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { secrets, audit }) => {
  app.get(
    '/api/repls/:id/secrets',
    { schema: { summary: "A repl's secrets: names and times, never values (owner only)", tags: ['secrets'], params: ReplIdParams, response: { 200: SecretListSchema, ...commonErrors } } },
    async (request) => secrets.list(accountOf(request).id, request.params.id),
  );

  app.put(
    '/api/repls/:id/secrets/:name',
    {
      attachValidation: true,
      schema: {
        summary: "Add or replace a secret (an environment variable of the repl's Run, exec and new terminals); 201 when new, 200 when replaced",
        tags: ['secrets'],
        params: SecretParams,
        body: SetSecretBody,
        response: { 200: SecretEntrySchema, 201: SecretEntrySchema, 409: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      const owner = accountOf(request).id;
      await refuseInvalid(request, () => secrets.list(owner, request.params.id));
      const { entry, created } = await secrets.set(owner, request.params.id, request.params.name, request.body.value);
      await audit.record({ kind: 'repl.secret-set', ...seenFrom(request), target: { type: 'repl', id: request.params.id, account: owner }, details: { name: entry.name } });
      return reply.code(created ? 201 : 200).send(entry);
    },
  );

  app.delete(
    '/api/repls/:id/secrets/:name',
    { attachValidation: true, schema: { summary: 'Remove a secret (owner only)', tags: ['secrets'], params: SecretParams, response: { 204: Type.Null(), ...commonErrors } } },
    async (request, reply) => {
      const owner = accountOf(request).id;
      await refuseInvalid(request, () => secrets.list(owner, request.params.id));
      await secrets.remove(owner, request.params.id, request.params.name);
      await audit.record({ kind: 'repl.secret-delete', ...seenFrom(request), target: { type: 'repl', id: request.params.id, account: owner }, details: { name: request.params.name } });
      return reply.code(204).send(null);
    },
  );
};

/** A request the schema refused: after `owned` (a 404 for a repl not the caller's), a 400 in the shared words where they apply. */
async function refuseInvalid(request: FastifyRequest, owned: () => Promise<unknown>): Promise<void> {
  if (!request.validationError) return;
  await owned();
  const name = (request.params as { name?: unknown }).name;
  const value = (request.body as { value?: unknown } | undefined)?.value;
  const problem = (typeof name === 'string' ? secretNameProblem(name) : undefined) ?? (typeof value === 'string' ? secretValueProblem(value) : undefined);
  if (problem) throw new AppError('VALIDATION', problem);
  throw request.validationError;
}
