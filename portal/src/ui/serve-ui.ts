import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '@codeyard/common/errors';
import { escapeHtml, page } from '@codeyard/common/html';

/**
 * The dashboard's policy: its own scripts and styles only (Lit adopts constructed stylesheets,
 * which CSP does not govern), icons from the portal, API calls and the event stream to the portal.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/** Hashed file names under assets/, as Vite writes them: one segment, no dot files. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function notBuilt(reply: FastifyReply, dir: string): FastifyReply {
  return reply
    .code(500)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      page({
        title: 'Web UI not built',
        body: `<h1>The web UI is not built</h1><p>This portal has no dashboard files in <code>${escapeHtml(dir)}</code>. Run <code>npm run build</code> at the repository root (it builds the UI with Vite), then reload.</p><p class="muted">The API works without it: <a href="/api/openapi.json">/api/openapi.json</a>.</p>`,
      }),
    );
}

/**
 * The dashboard plugin: serves what Vite built into `dir`: `index.html` at `/` (never cached: it
 * names the current assets) and `assets/*` (content-hashed, so cached for good). A portal whose
 * UI was not built answers `/` with a page saying how to build it.
 */
export const serveUi: FastifyPluginAsyncTypebox<{ dir: string }> = async (app, { dir }) => {
  const assetsDir = path.join(dir, 'assets');
  const indexFile = path.join(dir, 'index.html');
  try {
    await fs.access(indexFile);
  } catch {
    app.log.warn({ dir }, 'the web UI is not built; run npm run build');
  }

  // One app's page for every path it shows: the dashboard, the admin view (its token in the
  // fragment), the device approval, and the sign-in, sign-up and owner pages (the device's and the
  // owner link's codes are in the query: the page's referrer policy keeps them off other sites).
  const index = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    let html: Buffer;
    try {
      // Read per request: a rebuild while the portal runs is served at once.
      html = await fs.readFile(indexFile);
    } catch {
      return notBuilt(reply, dir);
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', UI_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .send(html);
  };
  for (const page of ['/', '/admin', '/device', '/signin', '/signup', '/auth/owner']) app.get(page, { schema: { hide: true } }, index);
  // A class join link (`/join/<studentId>.<secret>`): the app's join page reads the rest of the path.
  app.get('/join/:token', { schema: { hide: true } }, index);

  app.get('/assets/:name', { schema: { hide: true, params: Type.Object({ name: Type.String() }) } }, async (request, reply) => {
    const { name } = request.params;
    const file = path.join(assetsDir, name);
    // One plain file name inside assets/: no separators, no "..", nothing outside.
    if (!ASSET_NAME.test(name) || name.includes('..') || path.dirname(file) !== assetsDir) throw new AppError('NOT_FOUND', `no asset ${name}`);
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      throw new AppError('NOT_FOUND', `no asset ${name}; the UI may have been rebuilt, reload the page`);
    }
    return reply
      .type(CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  // Classes (#15): the list and a class's dashboard, the same page. (`/join/:token`, a student's
  // join link, is the classes part's route.)
  for (const page of ['/classes', '/classes/:id']) app.get(page, { schema: { hide: true } }, index);
};
