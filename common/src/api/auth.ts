/**
 * Who is signed in, and how one signs in: the shapes of the portal's sign-in routes (#14), as
 * TypeBox schemas the portal validates with and the web UI takes its types from.
 */
import { type Static, Type } from 'typebox';
import { OidcProviderInfo } from './oidc.js';
import { nullable, stringEnum } from './models.js';

/** How people get in (CODEYARD_AUTH). */
export const AUTH_MODES = ['owner', 'accounts', 'anonymous'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
/** Who may make an account (CODEYARD_SIGNUP); owner mode is always `invite`. */
export const SIGNUP_MODES = ['open', 'invite', 'closed'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];
/** What an account may do beyond its own repls: admins run the server, teachers invite people. */
export const ROLES = ['admin', 'teacher', 'member'] as const;
export type Role = (typeof ROLES)[number];

const strict = { additionalProperties: false } as const;
const email = () => Type.String({ minLength: 3, maxLength: 254, description: 'email address (unique whatever its capitalization)' });

/** GET /api/me: the caller. */
export const MeReply = Type.Object({
  id: Type.String(),
  email: nullable(Type.String()),
  name: nullable(Type.String()),
  role: stringEnum(ROLES),
  anonymous: Type.Boolean({ description: 'an account of anonymous mode (a browser, not a person)' }),
  authMode: stringEnum(AUTH_MODES),
  limits: Type.Optional(
    Type.Object(
      {
        repls: Type.Integer({ description: 'repls the account may have' }),
        running: Type.Integer({ description: 'repls of the account that may run at once' }),
      },
      { description: 'the per-account limits (GET /api/me only)' },
    ),
  ),
});

/** GET /api/auth/options: what the sign-in page offers (no session needed). */
export const AuthOptionsReply = Type.Object({
  authMode: stringEnum(AUTH_MODES),
  signup: stringEnum(SIGNUP_MODES, { description: 'who may sign up now: owner mode is by invite; anonymous mode has no sign-up (closed)' }),
  providers: Type.Array(OidcProviderInfo, { description: 'OpenID providers to sign in with ("Sign in with <name>"): POST /api/auth/oidc/<id>/start' }),
});

export const SignInBody = Type.Object({ email: email(), password: Type.String({ minLength: 1, maxLength: 256 }) }, strict);
export const SignUpBody = Type.Object(
  {
    email: email(),
    password: Type.String({ minLength: 1, maxLength: 256, description: 'at least 8 characters' }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    invite: Type.Optional(Type.String({ maxLength: 64, description: 'the cyi_ token of an invite link' })),
  },
  strict,
);
export const OwnerClaimBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64, description: 'the code of the owner link the terminal printed' }) }, strict);
export const InviteQuery = Type.Object({ invite: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

/** POST /api/invites (admins and teachers). */
export const CreateInviteBody = Type.Object(
  {
    email: Type.Optional(email()),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, description: 'default 7' })),
  },
  strict,
);
export const InviteReply = Type.Object({
  id: Type.String(),
  url: Type.String({ description: 'the sign-up link to send; it works once' }),
  email: nullable(Type.String({ description: 'the only address that may use it; null: whoever holds the link' })),
  role: stringEnum(ROLES),
  expiresAt: Type.String({ format: 'date-time' }),
});
/** GET /api/auth/invite: what an invite link is for, before signing up with it. */
export const InviteInfoReply = Type.Object({ email: nullable(Type.String()), expiresAt: Type.String({ format: 'date-time' }) });

export type Me = Static<typeof MeReply>;
export type AuthOptions = Static<typeof AuthOptionsReply>;
export type SignIn = Static<typeof SignInBody>;
export type SignUp = Static<typeof SignUpBody>;
export type CreateInvite = Static<typeof CreateInviteBody>;
export type Invite = Static<typeof InviteReply>;
export type InviteInfo = Static<typeof InviteInfoReply>;
