/**
 * Personal API tokens and the device sign-in flow, as the portal's HTTP API takes and answers
 * them (TypeBox): the portal validates with these, the web UI, the CLI and the desktop app type
 * their calls from them. See AUTH-CONTRACT (issue #14) for the shapes' origin.
 */
import { type Static, Type } from 'typebox';
import { nullable, stringEnum } from './models.js';

/**
 * What a credential may do. `read`: safe methods (GET, HEAD); `write`: everything the account may
 * do except admin routes (it includes `read`); `admin`: admin routes, only for an admin account.
 */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The prefix of every personal API token (`cyp_` + 43 base64url characters). */
export const API_TOKEN_PREFIX = 'cyp_';
/** Token ids as the API shows them (`t` + 20 hex digits). */
export const TOKEN_ID_PATTERN = /^t[0-9a-f]{20}$/;
/** The longest a token may live, in days (a year and a day, as GitHub's fine-grained tokens). */
export const TOKEN_MAX_DAYS = 366;
/** What a token lives when the request names no expiry, in days. */
export const TOKEN_DEFAULT_DAYS = 90;

const strict = { additionalProperties: false } as const;
const dateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });
const scopeList = () => Type.Array(stringEnum(SCOPES), { minItems: 1, maxItems: SCOPES.length, uniqueItems: true, description: '`read`, `write` (includes read), `admin` (admin accounts only)' });
const tokenName = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });

export const TokenIdParams = Type.Object({ id: Type.String({ pattern: TOKEN_ID_PATTERN.source, description: 'token id' }) });

export const ApiTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(stringEnum(SCOPES)),
  createdAt: dateTime(),
  expiresAt: dateTime('the token is refused from then on (401)'),
  lastUsedAt: nullable(dateTime('when a request last used it (recorded at most once a minute); null: never')),
});

export const CreateTokenBody = Type.Object(
  {
    name: tokenName('what the token is for, e.g. "deploy script"'),
    scopes: Type.Optional(scopeList()),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_MAX_DAYS, description: `days until it expires (default ${TOKEN_DEFAULT_DAYS})` })),
  },
  strict,
);

/** The one answer that carries the token itself: it is never shown again. */
export const CreatedTokenReply = Type.Object({
  token: Type.String({ description: 'the token (cyp_…): send it as Authorization: Bearer; it is shown only this once' }),
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(stringEnum(SCOPES)),
  createdAt: dateTime(),
  expiresAt: dateTime(),
});

/** The account a device sign-in signed in to. */
export const SignedInAccount = Type.Object({
  id: Type.String(),
  email: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  role: Type.String(),
});

export const DeviceStartBody = Type.Object(
  {
    client: Type.String({ minLength: 1, maxLength: 64, description: 'the program asking, shown on the approval page (e.g. "codeyard CLI")' }),
    name: Type.Optional(tokenName('the name of the token it will get (e.g. "codeyard CLI on laptop"); default: client')),
  },
  strict,
);

export const DeviceStartReply = Type.Object({
  deviceCode: Type.String({ description: 'secret: the client polls POST /api/auth/device/token with it' }),
  userCode: Type.String({ description: 'shown to the user, e.g. WDJB-MJHT' }),
  verificationUri: Type.String(),
  verificationUriComplete: Type.String({ description: 'the page with the code filled in' }),
  expiresIn: Type.Integer({ description: 'seconds until the codes expire' }),
  interval: Type.Integer({ description: 'seconds to wait between polls' }),
});

export const DeviceTokenBody = Type.Object({ deviceCode: Type.String({ minLength: 1, maxLength: 128 }) }, strict);

export const DeviceTokenReply = Type.Object({
  token: Type.String({ description: 'a personal API token (cyp_…), scopes read and write, 90 days' }),
  tokenId: Type.String(),
  account: SignedInAccount,
});

export const DeviceCodeParams = Type.Object({ userCode: Type.String({ minLength: 1, maxLength: 16, description: 'the code the device shows (dashes, spaces and case do not matter)' }) });

/** A pending device sign-in as the approval page shows it. */
export const DeviceRequestReply = Type.Object({
  userCode: Type.String(),
  client: Type.String(),
  name: Type.String({ description: 'the name its token will get' }),
  address: Type.String({ description: 'the network address the request came from' }),
  createdAt: dateTime(),
  expiresAt: dateTime(),
});

export const DeviceApproveBody = Type.Object({ userCode: Type.String({ minLength: 1, maxLength: 16 }), approve: Type.Boolean() }, strict);

export const DeviceApproveReply = Type.Object({
  status: stringEnum(['approved', 'denied'] as const),
  client: Type.String(),
  name: Type.String(),
});

export type ApiToken = Static<typeof ApiTokenSchema>;
export type CreateToken = Static<typeof CreateTokenBody>;
export type CreatedToken = Static<typeof CreatedTokenReply>;
export type DeviceStart = Static<typeof DeviceStartBody>;
export type DeviceStarted = Static<typeof DeviceStartReply>;
export type DeviceTokenGranted = Static<typeof DeviceTokenReply>;
export type DeviceRequest = Static<typeof DeviceRequestReply>;
export type DeviceApproved = Static<typeof DeviceApproveReply>;
export type SignedIn = Static<typeof SignedInAccount>;
