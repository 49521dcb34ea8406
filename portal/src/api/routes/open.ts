import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, isAppError } from '@codeyard/common/errors';
import { escapeHtml, page } from '@codeyard/common/html';
import { sameHostPath } from '@codeyard/common/hostnames';
import { credentialRef } from '../../accounts/credential-revocations.js';
import { adminIdeLink, mayOpenOthers } from '../../admin/open-as-admin.js';
import type { ApiContext } from '../context.js';

/**
 * GET /open/:id: the browser entry point that signs this browser in to a repl host (a redirect
 * with a ticket). A page, not an API call: it answers HTML, so it checks the caller itself
 * rather than behind the API's auth hook.
 */
export const openPage: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, authMode, audit }) => {
  app.get(
    '/open/:id',
    // The id and the query are checked here and by the repl service, not by a schema: a bad
    // link gets a page that says so, not a JSON body (and a repeated `next` is no path, not a 400).
    { schema: { hide: true, params: Type.Object({ id: Type.String() }) } },
    async (request, reply) => {
      const query = request.query as { port?: unknown; next?: unknown };
      const html = (status: number, title: string, body: string) => reply.code(status).type('text/html; charset=utf-8').send(page({ title, body }));
      const caller = await app.callerOf(request.headers, request.ip);
      if (caller instanceof AppError) return html(caller.status, 'Clear your cookies', `<h1>Clear this site's cookies</h1><p>${escapeHtml(caller.message)}</p>`);
      const { account } = caller;
      if (!account) {
        if (authMode === 'anonymous') return html(401, 'Sign in', `<h1>Open Codeyard first</h1><p>This browser has no Codeyard session. Repls open from the browser that created them.</p><p><a class="button" href="/">Go to Codeyard</a></p>`);
        // After signing in, the sign-in page comes back here.
        return reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 302);
      }
      const port = query.port ? Number(query.port) : undefined;
      if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) return html(400, 'Bad link', '<h1>Bad link</h1><p>The port in this link is not a port number.</p>');
      const next = sameHostPath(query.next);
      const via = credentialRef(caller.credential);
      try {
        try {
          return reply.redirect(await repls.ideLink(account.id, request.params.id, { port, next, via }), 302);
        } catch (err) {
          // Not this account's: an admin may open it anyway, and the audit log says so.
          if (!(isAppError(err) && err.code === 'NOT_FOUND' && mayOpenOthers(caller.credential))) throw err;
          return reply.redirect(await adminIdeLink({ repls, audit }, request, { account, credential: caller.credential }, request.params.id, { port, next, via }), 302);
        }
      } catch (err) {
        if (isAppError(err) && err.code === 'NOT_FOUND') return html(404, 'Not found', `<h1>No such repl</h1><p>There is no repl ${escapeHtml(request.params.id)} in your account.</p><p><a class="button" href="/">Go to Codeyard</a></p>`);
        if (isAppError(err) && err.code === 'FORBIDDEN') return html(403, 'Not from here', `<h1>Open it from Codeyard</h1><p>${escapeHtml(err.message)}</p><p><a class="button" href="/admin">Admin page</a></p>`);
        throw err;
      }
    },
  );
};
