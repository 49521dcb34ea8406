import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { IMPORT_TYPES } from '@codeyard/common/api/requests';
import { AppError, describeError, isAppError } from '@codeyard/common/errors';

/**
 * A schema refusal as a client can act on it. Ajv's own message for an unknown field ("body
 * must NOT have additional properties") does not say which field, so it is named here.
 */
function validationMessage(err: FastifyError): string {
  const unknown = (err.validation ?? []).map((v) => v.params.additionalProperty).filter((p): p is string => typeof p === 'string');
  return unknown.length ? `${err.message}: unknown field ${unknown.map((p) => JSON.stringify(p)).join(', ')}` : err.message;
}

/** Fastify's own errors (validation, body parsing, limits) as the product's error codes. */
function fastifyErrorToApp(err: FastifyError, contentType: string | undefined): AppError {
  if (err.validation) return new AppError('VALIDATION', validationMessage(err));
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_JSON', `the request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `this route does not take ${contentType ? `${contentType.split(';')[0]!.trim()} bodies` : 'a body without a content-type'}: send application/json (an import takes ${IMPORT_TYPES.join(', ')})`,
      );
  }
  if (err instanceof SyntaxError) return new AppError('INVALID_JSON', `the request body is not valid JSON: ${err.message}`);
  if (err.statusCode && err.statusCode < 500) return new AppError(err.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', err.message);
  return new AppError('INTERNAL', describeError(err));
}

/**
 * The one final handler: every error answer is `{ error: { code, message } }` with the status
 * of its code; a 5xx is logged with the request and shown without its internals. Unknown
 * routes are a NOT_FOUND of the same shape.
 */
export const errorHandling = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const error = isAppError(err) ? err : fastifyErrorToApp(err, request.headers['content-type']);
      const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      // Expected, and answered with what to do: not a failure to log.
      if (error.code === 'SERVER_FULL') return reply.code(error.status).send(error.toBody());
      if (error.status >= 500) {
        request.log.error({ err, url: request.url, reqId: request.id }, 'request failed');
        const shown = error.code === 'INTERNAL' ? new AppError('INTERNAL', `internal error (request ${request.id}); see the portal log`) : error;
        return reply.code(shown.status).send(shown.toBody());
      }
      return reply.code(error.status).send(error.toBody());
    });
    app.setNotFoundHandler((request, reply) => {
      const error = new AppError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
      reply.code(404).send(error.toBody());
    });
  },
  { name: 'codeyard-errors' },
);
