import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ConnectedIdentitiesReply, OidcProviderParams } from '@codeyard/common/api/oidc';
import { AppError } from '@codeyard/common/errors';
import { Type } from 'typebox';
import type { Audit } from '../../audit/audit.js';
import { seenFrom } from '../../audit/request-actor.js';
import type { IdentityRepository } from '../../db/identity-repository.js';
import { accountOf } from '../auth.js';
import { credentialOf } from '../credential.js';
import { commonErrors, errorReply } from '../schemas.js';

export interface IdentityRoutesDeps {
  identities: Pick<IdentityRepository, 'ofAccount' | 'unlink'>;
  /** A configured provider's display name (a provider taken out of the settings has none). */
  providerName(id: string): string | undefined;
  /** Whether the account signs in without any provider: a password, or the owner link. */
  signsInOtherwise(accountId: string): Promise<boolean>;
  audit: Pick<Audit, 'record'>;
}

/**
 * The sign-in providers connected to the signed-in account ("Sign-in providers" on the
 * dashboard): listed, and disconnected one at a time. Only the account itself reaches them (the
 * paths are its own, behind the auth hook); disconnecting takes a browser session, as connecting
 * does, never an API token: a leaked token must not change how the account signs in.
 */
export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRoutesDeps> = async (app, deps) => {
  app.get(
    '/api/me/identities',
    { schema: { summary: 'The OpenID providers connected to the signed-in account', tags: ['auth'], response: { 200: ConnectedIdentitiesReply, ...commonErrors } } },
    async (request) => {
      const account = accountOf(request);
      const identities = await deps.identities.ofAccount(account.id);
      return {
        identities: identities.map((i) => ({
          provider: i.provider,
          name: deps.providerName(i.provider) ?? i.provider,
          ...(i.email ? { email: i.email } : {}),
          connectedAt: i.createdAt,
          lastSignInAt: i.lastSignInAt,
        })),
        canRemoveLast: await deps.signsInOtherwise(account.id),
      };
    },
  );

  app.delete(
    '/api/me/identities/:provider',
    {
      schema: {
        summary: 'Disconnect an OpenID provider from the signed-in account: it no longer signs in to it',
        description: 'From a browser session only (403 for API tokens). 409 when it is the only way the account signs in (no password, not the owner, no other provider).',
        tags: ['auth'],
        params: OidcProviderParams,
        response: { 204: Type.Null(), 403: errorReply, 409: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      if (credentialOf(request).kind !== 'session') {
        throw new AppError('FORBIDDEN', 'disconnecting a sign-in provider needs a browser signed in to the account (the dashboard), not an API token');
      }
      const { provider } = request.params;
      const outcome = await deps.identities.unlink(account.id, provider, await deps.signsInOtherwise(account.id));
      if (outcome === 'none') throw new AppError('NOT_FOUND', `no ${deps.providerName(provider) ?? provider} sign-in is connected to this account`);
      if (outcome === 'last') {
        throw new AppError('CONFLICT', `${deps.providerName(provider) ?? provider} is the only way this account signs in: connect another provider first, or ask an admin to set a password`);
      }
      await deps.audit.record({ kind: 'identity.unlink', ...seenFrom(request), target: { type: 'account', id: account.id, account: account.id }, details: { provider } });
      return reply.code(204).send(null);
    },
  );
};
