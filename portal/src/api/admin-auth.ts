import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '@codeyard/common/errors';
import { checkSameOrigin, isSafeMethod } from './auth.js';

/**
 * Who may reach `/api/admin/`, checked here and nowhere else for every path under it:
 * - an admin account: a browser session, or a personal API token with the `admin` scope (a
 *   change also needs `write`, and a cookie change the portal's Origin, as everywhere);
 * - the machine's operator with the admin token, from CODEYARD_ADMIN_TOKEN or generated at first
 *   start into `<data>/admin-token` (0600, like the signing key), which the terminal prints as a
 *   link to the admin page. It works whatever the sign-in mode, also before any admin account
 *   exists or when every admin is locked out; whoever can read the data folder has it anyway.
 *
 * Only `Authorization: Bearer` carries the admin token, never a cookie: a browser never sends a
 * bearer header on its own, so a cross-site page cannot ride on it (no Origin check needed), and
 * the admin page keeps it in sessionStorage (it arrives in the URL fragment, never sent to a server).
 */

/** Where every admin route lives; anything under it is refused without the admin token. */
export const ADMIN_PREFIX = '/api/admin';

/** The shortest admin token accepted from configuration (a generated one is 43 characters). */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** The file a generated admin token is kept in, under the data folder. */
export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

/**
 * The admin token: `configured` when given (CODEYARD_ADMIN_TOKEN), else the one in
 * `<data>/admin-token`, generated (32 random bytes, base64url, mode 0600) the first time.
 */
export async function loadAdminToken(dataDir: string, configured?: string): Promise<string> {
  if (configured) {
    if (configured.length < ADMIN_TOKEN_MIN_LENGTH) throw new Error(`CODEYARD_ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters`);
    return configured;
  }
  const file = adminTokenFile(dataDir);
  try {
    const stored = (await fs.readFile(file, 'utf8')).trim();
    if (stored.length >= ADMIN_TOKEN_MIN_LENGTH) return stored;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await fs.mkdir(dataDir, { recursive: true });
  try {
    await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return token;
  } catch (err) {
    // Another process made it first (or an empty/short file was left): use what is there, or replace it.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const stored = (await fs.readFile(file, 'utf8')).trim();
    if (stored.length >= ADMIN_TOKEN_MIN_LENGTH) return stored;
    await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

/** The admin page's link, the token in the fragment (browsers never send a fragment to a server). */
export function adminLink(portalOrigin: string, token: string): string {
  return `${portalOrigin}/admin#token=${encodeURIComponent(token)}`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Lets a request through only from an admin (see the module's comment): 401 without a
     * credential, 403 for anyone else. Every route under `/api/admin/` gets it from
     * {@link adminAuth} whatever scope it is registered in; use it as a preHandler only for an
     * admin route outside that prefix.
     */
    authenticateAdmin(request: FastifyRequest): Promise<void>;
    /** Every admin route registered so far, as `METHOD /path` (for the tests that refuse them all). */
    adminRoutes: readonly string[];
  }
  interface FastifyRequest {
    /** True when the machine's admin token made this admin request (no account: the audit log says `admin-token`). */
    adminOperator: boolean;
  }
}

export interface AdminAuthOptions {
  /** The admin token; undefined: only admin accounts get in. */
  token: string | undefined;
  /** The portal's origin: a cookie-authenticated admin change must come from its pages. */
  portalOrigin: string;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Is this request for an admin route, however its path was spelled? */
function isAdminRequest(request: FastifyRequest): boolean {
  const matched = request.routeOptions.url;
  if (matched !== undefined && (matched === ADMIN_PREFIX || matched.startsWith(`${ADMIN_PREFIX}/`))) return true;
  // Unknown paths too: an admin path that matches no route is refused like one that does, so a
  // caller who is not an admin cannot learn which admin routes exist.
  let raw = request.url.split('?')[0]!;
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // not percent-decodable: judged as written
  }
  const normalized = raw.replace(/\/{2,}/g, '/').toLowerCase();
  return normalized === ADMIN_PREFIX || normalized.startsWith(`${ADMIN_PREFIX}/`);
}

const HOW = 'sign in as an admin, or send Authorization: Bearer with an admin\'s API token (scope admin) or the admin token in <data>/admin-token';

/**
 * The one check of admin callers: decorates `authenticateAdmin` and runs it first (onRequest)
 * for every request under `/api/admin/`, so an admin route registered anywhere, now or later,
 * cannot be reached by anyone else. The routes it guards are listed in `adminRoutes` (the tests
 * refuse every one of them to each kind of caller that is not an admin).
 */
export const adminAuth = fp(
  async (app: FastifyInstance, options: AdminAuthOptions) => {
    const expected = options.token ? digest(options.token) : undefined;
    const check = async (request: FastifyRequest): Promise<void> => {
      const header = request.headers.authorization;
      // Compared as fixed-length digests in constant time: the comparison says nothing about how close a guess was.
      if (expected && header?.startsWith('Bearer ') && timingSafeEqual(digest(header.slice(7).trim()), expected)) {
        request.adminOperator = true;
        return;
      }
      const caller = await app.callerOf(request.headers, request.ip);
      if (caller instanceof AppError) throw caller;
      const { account, credential, credentials } = caller;
      if (!account || !credential) {
        if (caller.refusal) throw new AppError('UNAUTHENTICATED', caller.refusal);
        throw new AppError('UNAUTHENTICATED', `admin routes are for admins: ${HOW}${credentials.token ? ' (the credential sent is not valid)' : ''}`);
      }
      if (!credential.scopes.includes('admin')) {
        const why = account.role !== 'admin' ? `this account is a ${account.role}` : 'this API token has no admin scope (make one with the admin scope)';
        throw new AppError('FORBIDDEN', `admin routes are for admins only: ${why}`, { missingScope: 'admin' });
      }
      const changes = !isSafeMethod(request.method);
      if (credentials.viaCookie && (changes || request.ws)) checkSameOrigin(request.headers, options.portalOrigin, true);
      if (changes && !credential.scopes.includes('write')) {
        throw new AppError('FORBIDDEN', `this API token has the scopes ${credential.scopes.join(', ')}: an admin change (${request.method}) needs \`write\` too`, { missingScope: 'write' });
      }
      request.account = account;
      request.credential = credential;
    };
    const routes: string[] = [];
    app.decorateRequest('adminOperator', false);
    app.decorate('authenticateAdmin', check);
    app.decorate('adminRoutes', routes);
    app.addHook('onRoute', (route) => {
      if (route.url === ADMIN_PREFIX || route.url.startsWith(`${ADMIN_PREFIX}/`)) {
        for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
      }
    });
    app.addHook('onRequest', async (request) => {
      if (isAdminRequest(request)) await check(request);
    });
  },
  { name: 'codeyard-admin-auth', dependencies: ['codeyard-auth'] },
);
