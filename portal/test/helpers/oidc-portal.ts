import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import type { AuditRow } from '../../src/db/audit-repository.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { CookieBrowser, type Hop } from './cookie-browser.js';
import { freePort } from './http.js';
import { TEMPLATES_DIR } from './memory-repls.js';
import { authorizeAtProvider, type TestOidcProvider } from './oidc-test-provider.js';

export interface OidcPortal {
  codeyard: Codeyard<MemoryRuntime>;
  origin: string;
  /** POST …/start from the portal's page, as the sign-in button does. */
  start(browser: CookieBrowser, provider: string, body?: object): Promise<Hop>;
  /** Start, then through the provider's pages as `login`, stopping before the callback (answered as a URL). */
  authorize(browser: CookieBrowser, provider: string, login: string, body?: object): Promise<string>;
  /** The whole sign-in: the callback's answer (a 303 to / or to /signin?error=…). */
  signIn(browser: CookieBrowser, provider: string, login: string, body?: object): Promise<Hop>;
  /** The audit log's events of `kind` (newest first), as the admin page would list them. */
  audit(kind: string): Promise<AuditRow[]>;
  /** GET /api/me with the browser's cookies. */
  me(browser: CookieBrowser): Promise<{ status: number; body: { id?: string; email?: string | null; name?: string | null; role?: string } }>;
  close(): Promise<void>;
}

/**
 * The real portal (routes, database, sessions) with the runtime and store doubles (MemoryRuntime,
 * MemoryStore) on a loopback port, its providers pointing at the test OpenID provider. Each
 * provider entry gets its callback registered at the provider.
 */
export async function startOidcPortal(op: TestOidcProvider, env: Record<string, string>, providers: Array<{ id: string; name: string; allowedDomains?: string[] }>): Promise<OidcPortal> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-oidc-portal-'));
  const entries = providers.map((p) => ({ ...p, issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret }));
  for (const p of providers) op.redirectUris.push(`${origin}/auth/oidc/${p.id}/callback`);
  const config = loadConfig({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    CODEYARD_DATA: dataDir,
    CODEYARD_TEMPLATES: TEMPLATES_DIR,
    CODEYARD_WARM_POOL: '0',
    CODEYARD_OIDC_PROVIDERS: JSON.stringify(entries),
    ...env,
  });
  const codeyard = await createCodeyard(config, { store: new MemoryStore(), runtime: () => new MemoryRuntime(), log: pino({ level: process.env.CODEYARD_TEST_LOG ?? 'silent' }) });
  await codeyard.listen(port, '127.0.0.1');
  const fromPage = { origin, 'content-type': 'application/json' };
  const portal: OidcPortal = {
    codeyard,
    origin,
    start: (browser, provider, body = {}) => browser.fetch(`${origin}/api/auth/oidc/${provider}/start`, { method: 'POST', headers: fromPage, body: JSON.stringify(body) }),
    async authorize(browser, provider, login, body) {
      const started = await portal.start(browser, provider, body);
      if (started.status !== 200) throw new Error(`start answered ${started.status}: ${started.body}`);
      return authorizeAtProvider(browser, (JSON.parse(started.body) as { url: string }).url, login, `${origin}/auth/oidc/${provider}/callback`);
    },
    async signIn(browser, provider, login, body) {
      return browser.fetch(await portal.authorize(browser, provider, login, body));
    },
    audit: (kind) => codeyard.portal.database.audit.page({ kind }, 100),
    async me(browser) {
      const hop = await browser.fetch(`${origin}/api/me`);
      return { status: hop.status, body: JSON.parse(hop.body) };
    },
    async close() {
      await codeyard.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return portal;
}

/** Where a sign-in ended: `/` (signed in) or the sign-in page's error code. */
export function outcome(hop: Hop): string {
  if (hop.status !== 303 || !hop.location) return `HTTP ${hop.status}: ${hop.body.slice(0, 200)}`;
  const url = new URL(hop.location);
  return url.pathname === '/' ? 'signed in' : `${url.pathname}?error=${url.searchParams.get('error')}`;
}
