import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { freePort } from '../../test/helpers/http.js';
import { median, type Suite } from '../harness.js';

const run = promisify(execFile);
const SERVERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'servers.js');
const ROUNDS = 3;
const DURATION = '5s';
const CONNECTIONS = 50;
const WS_ROUND_TRIPS = 500;
const WS_HELD = 1000;

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/usr/sbin').split(':').concat(['/usr/sbin'])) {
    const file = path.join(dir, program);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Starts a servers.js process; resolves with it and what its `ready` line says after the word. */
async function startServer(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; said: string }> {
  const child = spawn(process.execPath, [SERVERS, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const said = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start`)), 30_000);
    child.stdout!.once('data', (data: Buffer) => (clearTimeout(timer), resolve(data.toString().trim().replace(/^ready ?/, ''))));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  return { child, said };
}

/** nginx as operators would put it in front: keep-alive to the upstream, no buffering surprises. */
async function startNginx(port: number, upstreamPort: number): Promise<{ stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-nginx-'));
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
  );
  const child = spawn(which('nginx')!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(path.join(dir, 'nginx.pid'))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    stop: async () => {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface WrkResult {
  rps: number;
  p50Us: number;
  p99Us: number;
}

function micros(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value : m[2] === 'ms' ? value * 1000 : value * 1e6;
}

async function wrk(url: string, host: string, connections = CONNECTIONS): Promise<WrkResult> {
  const threads = connections > 1 ? '-t2' : '-t1';
  const { stdout } = await run('wrk', [threads, `-c${connections}`, `-d${DURATION}`, '--latency', '-H', `Host: ${host}`, url], { timeout: 60_000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p50 = /^\s+50%\s+(\S+)/m.exec(stdout)?.[1] ?? '';
  const p99 = /^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? '';
  if (/Non-2xx/.test(stdout) || !rps) throw new Error(`wrk saw errors for ${url}:\n${stdout}`);
  return { rps, p50Us: micros(p50), p99Us: micros(p99) };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

async function wsRoundTrips(url: string, host: string): Promise<number[]> {
  const ws = new WebSocket(url, { headers: { host } });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const samples: number[] = [];
  for (let i = 0; i < WS_ROUND_TRIPS; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.send('ping');
    });
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  ws.close();
  return samples;
}

export const proxySuite: Suite = {
  name: 'proxy',
  description: `requests/s and latency direct, through nginx and through the Codeyard proxy (wrk, ${CONNECTIONS} connections, ${DURATION} × ${ROUNDS}); WebSocket echo; ${WS_HELD} WebSockets held`,
  async run(r) {
    if (!which('wrk') || !which('nginx')) throw new Error('needs wrk and nginx: apt-get install -y wrk nginx-light');
    const [upPort, nginxPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
    const { child: upstream } = await startServer(['upstream', String(upPort)]);
    const { child: proxy, said: previewHost } = await startServer(['proxy', String(proxyPort), String(upPort)]);
    const nginx = await startNginx(nginxPort, upPort);
    try {
      for (const [label, pathName] of [['small', '/'], ['1 MB', '/big']] as const) {
        const results: Record<'direct' | 'nginx' | 'codeyard', WrkResult[]> = { direct: [], nginx: [], codeyard: [] };
        for (let round = 0; round < ROUNDS; round++) {
          // Interleaved, so drift on the machine hits all three alike.
          results.direct.push(await wrk(`http://127.0.0.1:${upPort}${pathName}`, `127.0.0.1:${upPort}`));
          results.nginx.push(await wrk(`http://127.0.0.1:${nginxPort}${pathName}`, `127.0.0.1:${nginxPort}`));
          results.codeyard.push(await wrk(`http://127.0.0.1:${proxyPort}${pathName}`, previewHost));
        }
        for (const which of ['direct', 'nginx', 'codeyard'] as const) {
          r.figure(`${label}: ${which} requests/s`, 'req/s', results[which].map((x) => x.rps));
          r.figure(`${label}: ${which} p50`, 'µs', results[which].map((x) => x.p50Us));
          r.figure(`${label}: ${which} p99`, 'µs', results[which].map((x) => x.p99Us));
        }
        if (label === 'small') {
          r.figure(`${label}: codeyard / nginx requests/s`, 'ratio', results.codeyard.map((x, i) => x.rps / results.nginx[i]!.rps), { target: ['>=', 0.6] });
          r.figure(`${label}: codeyard added p50 over direct, under load`, 'µs', results.codeyard.map((x, i) => x.p50Us - results.direct[i]!.p50Us));
        }
      }
      // One connection, one request at a time: the latency a single browser tab sees, without queueing.
      const alone = { direct: [] as number[], nginx: [] as number[], codeyard: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        alone.direct.push((await wrk(`http://127.0.0.1:${upPort}/`, `127.0.0.1:${upPort}`, 1)).p50Us);
        alone.nginx.push((await wrk(`http://127.0.0.1:${nginxPort}/`, `127.0.0.1:${nginxPort}`, 1)).p50Us);
        alone.codeyard.push((await wrk(`http://127.0.0.1:${proxyPort}/`, previewHost, 1)).p50Us);
      }
      r.figure('small, 1 connection: nginx added p50 over direct', 'µs', alone.nginx.map((x, i) => x - alone.direct[i]!));
      r.figure('small, 1 connection: codeyard added p50 over direct', 'µs', alone.codeyard.map((x, i) => x - alone.direct[i]!), { target: ['<=', 50] });

      const direct = await wsRoundTrips(`ws://127.0.0.1:${upPort}/`, `127.0.0.1:${upPort}`);
      const proxied = await wsRoundTrips(`ws://127.0.0.1:${proxyPort}/`, previewHost);
      r.figure('WebSocket echo direct', 'µs', direct);
      r.figure('WebSocket echo through the proxy', 'µs', proxied);
      r.figure('WebSocket echo added by the proxy', 'µs', [median(proxied) - median(direct)], { target: ['<=', 100] });

      const before = rssMb(proxy.pid!);
      const held: WebSocket[] = [];
      for (let i = 0; i < WS_HELD; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/`, { headers: { host: previewHost } });
        await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
        held.push(ws);
      }
      const after = rssMb(proxy.pid!);
      r.figure(`proxy memory with ${WS_HELD} WebSockets open`, 'MB', [after], { note: `${Math.round(((after - before) * 1024) / WS_HELD)} KB each` });
      for (const ws of held) ws.terminate();
    } finally {
      await nginx.stop();
      proxy.kill();
      upstream.kill();
    }
  },
};
