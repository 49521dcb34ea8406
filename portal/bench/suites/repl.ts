import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../../test/helpers/browser.js';
import { request } from '../../test/helpers/http.js';
import { startTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { timed, type Recorder, type Suite } from '../harness.js';
import { openWorkbench } from '../repl-memory.js';

const ROUNDS = 5;

async function withPortal(env: Record<string, string>, fn: (t: TestPortal, token: string) => Promise<void>): Promise<void> {
  const t = await startTestPortal({ env });
  try {
    await fn(t, await t.newToken());
  } finally {
    await t.close();
  }
}

/** Signs in to a repl host the way a browser does (ticket → cookie); answers the cookie header. */
async function hostCookie(t: TestPortal, token: string, id: string): Promise<string> {
  const link = new URL((await t.api(token, 'POST', `/api/repls/${id}/ide-link`)).json<{ url: string }>().url);
  const res = await request(t.port, { host: link.host, path: `${link.pathname}${link.search}` });
  const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0];
  if (!cookie) throw new Error(`no cookie from ${link}: ${res.status}`);
  return cookie;
}

async function ideReady(t: TestPortal, id: string, cookie: string): Promise<void> {
  const res = await request(t.port, { host: `${id}.localhost:${t.port}`, path: '/healthz', headers: { cookie } });
  if (res.status !== 200) throw new Error(`code-server did not answer through the proxy: ${res.status}`);
}

/** What a user waits for: a new node repl, started, its VS Code answering through the proxy. */
async function createToIde(t: TestPortal, token: string): Promise<string> {
  const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<{ id: string }>();
  const cookie = await hostCookie(t, token, repl.id);
  const started = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
  if (started.status !== 200) throw new Error(`start: ${started.body}`);
  await ideReady(t, repl.id, cookie);
  return repl.id;
}

export const startSuite: Suite = {
  name: 'start',
  description: `create → IDE answering through the proxy (cold), start of a stopped repl, Run → first response; ${ROUNDS} rounds`,
  async run(r: Recorder) {
    await withPortal({}, async (t, token) => {
      const cold: number[] = [];
      const restart: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const [ms, id] = await timed(() => createToIde(t, token));
        cold.push(ms);
        await t.api(token, 'POST', `/api/repls/${id}/stop`);
        const [again] = await timed(() => t.api(token, 'POST', `/api/repls/${id}/start`));
        restart.push(again);
        if (i === ROUNDS - 1) {
          const host = `${id}-3000.localhost:${t.port}`;
          const runs: number[] = [];
          for (let k = 0; k < 3; k++) {
            await t.api(token, 'POST', `/api/repls/${id}/app/stop`);
            const [runMs] = await timed(async () => {
              await t.api(token, 'POST', `/api/repls/${id}/app/start`);
              for (let n = 0; n < 1000; n++) {
                if ((await request(t.port, { host, path: '/' })).status === 200) return;
                await sleep(5);
              }
              throw new Error('the app never answered');
            });
            runs.push(runMs);
          }
          r.figure('Run → first response from the app', 'ms', runs);
        }
        await t.api(token, 'DELETE', `/api/repls/${id}`);
      }
      r.figure('create → IDE ready, cold', 'ms', cold, { target: ['<=', 1500] });
      r.figure('start a stopped repl (restore + ready)', 'ms', restart);
    });
    // The same with a warm pool of one node sandbox, refilled between rounds.
    const t = await startTestPortal({ env: { CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000' }, warmStacks: ['node'] });
    try {
      const token = await t.newToken();
      const warm: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        for (let n = 0; n < 900 && t.runtime.warmCounts().node !== 1; n++) await sleep(100);
        if (t.runtime.warmCounts().node !== 1) throw new Error('the warm pool did not fill');
        const [ms, id] = await timed(() => createToIde(t, token));
        warm.push(ms);
        await t.api(token, 'DELETE', `/api/repls/${id}`);
      }
      r.figure('create → IDE ready, from the warm pool', 'ms', warm, { target: ['<=', 250] });
    } finally {
      await t.close();
    }
  },
};

export const browserSuite: Suite = {
  name: 'browser',
  description: 'navigation → VS Code workbench visible (explorer rendered) in headless Chromium',
  async run(r: Recorder) {
    await withPortal({}, async (t, token) => {
      const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<{ id: string }>();
      await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
      const browser = await launchChromium();
      try {
        const samples: number[] = [];
        for (let i = 0; i < 3; i++) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          samples.push((await openWorkbench(t, token, repl.id, await context.newPage()))[0]);
          await context.close();
        }
        r.figure('navigation → workbench with explorer', 'ms', samples, { target: ['<=', 2000] });
      } finally {
        await browser.close();
      }
    });
  },
};

export const apiSuite: Suite = {
  name: 'api',
  description: 'portal API latency for list and get with 1,000 repl records',
  async run(r: Recorder) {
    await withPortal({ CODEYARD_MAX_REPLS_PER_ACCOUNT: '2000' }, async (t, token) => {
      let last = '';
      for (let i = 0; i < 1000; i++) {
        const res = await t.api(token, 'POST', '/api/repls', { stack: 'static', name: `repl ${i}` });
        if (res.status !== 201) throw new Error(`create ${i}: ${res.body}`);
        last = res.json<{ id: string }>().id;
        if (i % 250 === 249) r.say(`${i + 1} repls made`);
      }
      const list: number[] = [];
      const get: number[] = [];
      for (let i = 0; i < 20; i++) {
        list.push((await timed(() => t.api(token, 'GET', '/api/repls')))[0]);
        get.push((await timed(() => t.api(token, 'GET', `/api/repls/${last}`)))[0]);
      }
      r.figure('GET /api/repls (1,000 repls)', 'ms', list, { target: ['<=', 20] });
      r.figure('GET /api/repls/:id (of 1,000)', 'ms', get, { target: ['<=', 20] });
    });
  },
};
