import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MODELS } from '@codeyard/common/api/models';

/**
 * The API's models, registered once by `$id` (routes point at them with `ref()`), and the
 * OpenAPI document made from every route's schema, at /api/openapi.json. Registered before the
 * routes, so @fastify/swagger sees each of them.
 */
export const openapi = fp(
  async (app: FastifyInstance) => {
    for (const schema of MODELS) app.addSchema(schema);
    await app.register(swagger, {
      openapi: {
        info: { title: 'Codeyard API', version: '0.1.0', description: 'Create repls, run them, edit their files. Authenticate with a bearer token (Authorization: Bearer …), or in a browser with the session cookie the sign-in routes set. In anonymous mode (CODEYARD_AUTH=anonymous) POST /api/session answers a token.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      // Components named as the models are (Repl, Error…), not def-0, def-1…
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    });
    app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'codeyard-openapi' },
);
