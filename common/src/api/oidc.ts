/**
 * OpenID Connect sign-in ("Sign in with …"): the API's shapes (the reasons a sign-in fails are
 * in oidc-errors.ts, which the web UI bundles).
 */
import { type Static, Type } from 'typebox';

export { isOidcErrorCode, OIDC_ERRORS, type OidcErrorCode, oidcErrorMessage } from './oidc-errors.js';

export const OIDC_PROVIDER_ID_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$';

export const OidcProviderParams = Type.Object({ provider: Type.String({ pattern: OIDC_PROVIDER_ID_PATTERN, description: 'provider id from CODEYARD_OIDC_PROVIDERS' }) });

export const OidcStartBody = Type.Union([
  Type.Null(),
  Type.Object(
    {
      link: Type.Optional(Type.Boolean({ description: 'connect the provider to the signed-in account (then sign in with it later) instead of signing in' })),
      invite: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'an invite token: a new account is made by it' })),
    },
    { additionalProperties: false },
  ),
]);

export const OidcStartReply = Type.Object({ url: Type.String({ description: "the provider's authorization URL: send the browser there" }) });

/** A provider as the sign-in page lists it. */
export const OidcProviderInfo = Type.Object({ id: Type.String(), name: Type.String() });

/** A provider connected to the signed-in account (GET /api/me/identities). */
export const ConnectedIdentity = Type.Object({
  provider: Type.String({ description: 'provider id' }),
  name: Type.String({ description: "the provider's display name (its id when it is no longer configured)" }),
  email: Type.Optional(Type.String({ description: 'the address the provider gave at the last sign-in' })),
  connectedAt: Type.String(),
  lastSignInAt: Type.String(),
});
export type ConnectedIdentity = Static<typeof ConnectedIdentity>;

export const ConnectedIdentitiesReply = Type.Object({
  identities: Type.Array(ConnectedIdentity),
  /** False when disconnecting the only provider would leave no way to sign in (no password, not the owner). */
  canRemoveLast: Type.Boolean(),
});
export type ConnectedIdentitiesReply = Static<typeof ConnectedIdentitiesReply>;
