import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DeviceApproveBody, DeviceApproveReply, DeviceCodeParams, DeviceRequestReply, DeviceStartBody, DeviceStartReply, DeviceTokenBody, DeviceTokenReply } from '@codeyard/common/api/tokens';
import { AppError } from '@codeyard/common/errors';
import { RateLimiter } from '@codeyard/common/rate-limit';
import { seenFrom } from '../../audit/request-actor.js';
import { formatUserCode, normalizeUserCode } from '../../tokens/user-code.js';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { credentialOf } from '../credential.js';
import { commonErrors, errorReply } from '../schemas.js';

/** Polls per client address per minute: a client polls every 5 s; this leaves room for a classroom behind one address. */
const POLLS_PER_MINUTE = 600;
/** Approval-page lookups and answers per client address per minute: user codes cannot be guessed through it. */
const ANSWERS_PER_MINUTE = 30;

function limit(limiter: RateLimiter, request: FastifyRequest, reply: FastifyReply, what: string): void {
  const wait = limiter.take(request.ip);
  if (wait) {
    reply.header('retry-after', String(wait));
    throw new AppError('RATE_LIMITED', `too many ${what} from this address; try again in ${wait} s`, { retryAfterSeconds: wait });
  }
}

/**
 * The device side of device sign-in: no account (the device has none yet), no cookie read.
 * Starting one is limited per address; polling is paced per code (SLOW_DOWN) and per address.
 */
export const deviceRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { deviceFlow, deviceCodesPerMinute, audit }) => {
  const starts = new RateLimiter({ perMinute: deviceCodesPerMinute });
  const polls = new RateLimiter({ perMinute: POLLS_PER_MINUTE });

  app.post(
    '/api/auth/device',
    {
      schema: {
        summary: 'Start a device sign-in: show userCode to the user and open verificationUriComplete; then poll POST /api/auth/device/token',
        tags: ['device sign-in'],
        security: [],
        body: DeviceStartBody,
        response: { 200: DeviceStartReply, 400: errorReply, 429: errorReply },
      },
    },
    async (request, reply) => {
      limit(starts, request, reply, 'device sign-ins');
      return deviceFlow.start(request.body, request.ip);
    },
  );

  app.post(
    '/api/auth/device/token',
    {
      schema: {
        summary: 'Poll a device sign-in: the token once approved (once); else 400 AUTHORIZATION_PENDING, SLOW_DOWN, ACCESS_DENIED or EXPIRED_TOKEN',
        tags: ['device sign-in'],
        security: [],
        body: DeviceTokenBody,
        response: { 200: DeviceTokenReply, 400: errorReply, 429: errorReply },
      },
    },
    async (request, reply) => {
      limit(polls, request, reply, 'device sign-in polls');
      const granted = await deviceFlow.poll(request.body.deviceCode);
      // The token is made here, for the account that approved: the device is not signed in yet.
      await audit.record({ kind: 'token.create', actor: { accountId: granted.account.id }, target: { type: 'token', id: granted.tokenId, account: granted.account.id }, address: request.ip, details: { via: 'device' } });
      return granted;
    },
  );
};

/**
 * Only the browser of a signed-in user answers a device sign-in: never an API token (a token
 * that could approve would mint tokens, and a script holding one would sign in devices unseen),
 * never a bearer header, only the portal's cookie, and (the auth hook's same-origin rule for
 * cookie changes) only from the portal's own page.
 */
function browserOnly(request: FastifyRequest): void {
  if (credentialOf(request).kind === 'token' || request.headers.authorization !== undefined) {
    throw new AppError('FORBIDDEN', 'a device sign-in is approved only in the browser, signed in to Codeyard (open the /device page); a bearer token cannot see or approve one');
  }
}

/** The user's side: the approval page's lookup and answer (behind the auth hook). */
export const deviceApprovalRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { deviceFlow, audit }) => {
  const answers = new RateLimiter({ perMinute: ANSWERS_PER_MINUTE });

  app.get(
    '/api/auth/device/:userCode',
    {
      schema: {
        summary: 'A device sign-in waiting for approval, by its user code (browser session only)',
        tags: ['device sign-in'],
        params: DeviceCodeParams,
        response: { 200: DeviceRequestReply, 403: errorReply, 409: errorReply, 429: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      browserOnly(request);
      limit(answers, request, reply, 'sign-in code lookups');
      return deviceFlow.request(request.params.userCode);
    },
  );

  app.post(
    '/api/auth/device/approve',
    {
      schema: {
        summary: "Approve or deny a device sign-in (browser session from the portal's page only); approving gives the device an API token of this account",
        tags: ['device sign-in'],
        body: DeviceApproveBody,
        response: { 200: DeviceApproveReply, 403: errorReply, 409: errorReply, 429: errorReply, ...commonErrors },
      },
    },
    async (request, reply) => {
      browserOnly(request);
      limit(answers, request, reply, 'sign-in answers');
      const account = accountOf(request);
      const answered = await deviceFlow.answer(request.body.userCode, account, request.body.approve);
      await audit.record({ kind: answered.status === 'approved' ? 'device.approve' : 'device.deny', ...seenFrom(request), target: { type: 'device', id: formatUserCode(normalizeUserCode(request.body.userCode) ?? ''), account: account.id }, details: { client: answered.client, name: answered.name } });
      return answered;
    },
  );
};
