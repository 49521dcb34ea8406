import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { tunnelPreamble } from '@codeyard/common/agent-protocol';
import { request } from '../test/helpers/http.js';
import { REPO_ROOT, startTestPortal } from '../test/helpers/test-portal.js';

/**
 * `npm run bench`: start latency, Run latency, proxy overhead and memory of one repl, on this
 * machine, with the real runtime. Prints a table and records the figures in
 * bench-results/<timestamp>.json. Loopback only; every loop is bounded in count.
 */
const ROUNDS = 3;
const REQUESTS = 300;

function stats(samples: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: round(at(0.5)), p95: round(at(0.95)), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [performance.now() - t0, value];
}

/** One HTTP/1.1 request straight through the agent's tunnel socket, without the proxy. */
function viaTunnel(socketPath: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.write(`${tunnelPreamble(port)}GET / HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n`);
    socket.on('data', () => undefined);
    socket.on('end', () => resolve());
    socket.on('error', reject);
  });
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };
  const [bootMs, t] = await timed(() => startTestPortal());
  results.portalBootMs = round(bootMs);
  try {
    const token = await t.newToken();
    const [createMs, created] = await timed(() => t.api(token, 'POST', '/api/repls', { stack: 'node' }));
    const repl = created.json<{ id: string }>();
    results.createMs = round(createMs);

    const starts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const [ms, res] = await timed(() => t.api(token, 'POST', `/api/repls/${repl.id}/start`));
      if (res.status !== 200) throw new Error(`start failed: ${res.body}`);
      starts.push(ms);
      if (i < ROUNDS - 1) await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    }
    results.startMs = stats(starts);

    const host = `${repl.id}-3000.localhost:${t.port}`;
    const [runMs] = await timed(async () => {
      await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`);
      for (let i = 0; i < 500; i++) {
        if ((await request(t.port, { host, path: '/' })).status === 200) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('the app never answered');
    });
    results.runToFirstResponseMs = round(runMs);

    const tunnel = path.join(t.dataDir, 'repls', repl.id, 'run', 'tunnel.sock');
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      direct.push((await timed(() => viaTunnel(tunnel, 3000)))[0]);
      proxied.push((await timed(() => request(t.port, { host, path: '/' })))[0]);
    }
    results.appRequestMs = { throughAgentTunnel: stats(direct), throughProxy: stats(proxied), requests: REQUESTS };

    const runtime = (await t.api(token, 'GET', '/api/runtime')).json();
    const memoryFile = fs.existsSync('/proc/self/cgroup')
      ? fs
          .readFileSync('/proc/self/cgroup', 'utf8')
          .split('\n')
          .map((line) => line.split(':'))
          .find(([, c]) => c === 'memory')
      : undefined;
    if (runtime.limits.memory.enforced && memoryFile) {
      const usage = path.join('/sys/fs/cgroup/memory', memoryFile[2]!, 'codeyard', repl.id, 'memory.usage_in_bytes');
      if (fs.existsSync(usage)) results.replMemoryMb = Math.round(Number(fs.readFileSync(usage, 'utf8')) / 1024 / 1024);
    }
  } finally {
    await t.close();
  }

  const dir = path.join(REPO_ROOT, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${(results.at as string).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  const s = results.startMs as ReturnType<typeof stats>;
  const a = results.appRequestMs as { throughAgentTunnel: ReturnType<typeof stats>; throughProxy: ReturnType<typeof stats> };
  process.stdout.write(
    [
      'figure                                 value',
      `portal boot                            ${results.portalBootMs} ms`,
      `create a repl (store copy)             ${results.createMs} ms`,
      `start a repl (sandbox + VS Code up)    p50 ${s.p50} ms, p95 ${s.p95} ms (${ROUNDS} starts)`,
      `Run → first app response               ${results.runToFirstResponseMs} ms`,
      `app request via agent tunnel only      p50 ${a.throughAgentTunnel.p50} ms, p95 ${a.throughAgentTunnel.p95} ms`,
      `app request via proxy + tunnel         p50 ${a.throughProxy.p50} ms, p95 ${a.throughProxy.p95} ms`,
      `repl memory (idle IDE, app running)    ${results.replMemoryMb ?? 'n/a'} MB`,
      `recorded in ${path.relative(REPO_ROOT, file)}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
