import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../test/helpers/test-portal.js';

/** One recorded figure: the median of `n` runs with min and max, and the target it is held to. */
export interface Figure {
  suite: string;
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  n: number;
  /** What the issue asks for, as text (e.g. "≤ 250"), when there is a target. */
  target?: string;
  /** Whether the median meets the target (undefined without one). */
  met?: boolean;
  note?: string;
}

export interface Suite {
  name: string;
  description: string;
  run(record: Recorder): Promise<void>;
}

export interface Recorder {
  /** Records samples; `target` is `['<=', 250]` or `['>=', 0.6]`. */
  figure(name: string, unit: string, samples: number[], options?: { target?: ['<=' | '>=', number]; note?: string }): Figure;
  /** Progress for the console. */
  say(line: string): void;
}

export const RESULTS_DIR = path.join(REPO_ROOT, 'portal', 'bench', 'results');

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [performance.now() - t0, value];
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}

/** What the figures were measured on. */
export function machine(): Record<string, string | number> {
  let codeServer = 'not provisioned';
  try {
    const cache = process.env.CODEYARD_CACHE ?? (process.getuid?.() === 0 ? '/var/cache/codeyard' : path.join(os.homedir(), '.cache', 'codeyard'));
    const dir = fs.readdirSync(cache).find((d) => d.startsWith('code-server-'));
    if (dir) codeServer = dir.replace('code-server-', '');
  } catch {
    // reported as not provisioned
  }
  let kernel = os.release();
  try {
    kernel = execFileSync('uname', ['-sr']).toString().trim();
  } catch {
    // os.release() will do
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    codeServer,
    kernel,
    root: process.getuid?.() === 0 ? 'yes' : 'no',
  };
}

/**
 * Runs the named suites (all when none are named), prints a table, and writes
 * portal/bench/results/latest.json and latest.md (plus a dated copy of the JSON).
 */
export async function runSuites(all: readonly Suite[], names: readonly string[]): Promise<Figure[]> {
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown bench suite ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  const chosen = names.length ? all.filter((s) => names.includes(s.name)) : all;
  const figures: Figure[] = [];
  const failures: Array<{ suite: string; error: string }> = [];
  for (const suite of chosen) {
    process.stdout.write(`\n== ${suite.name}: ${suite.description}\n`);
    const recorder: Recorder = {
      say: (line) => void process.stdout.write(`   ${line}\n`),
      figure(name, unit, samples, options = {}) {
        if (samples.length === 0) throw new Error(`${suite.name}/${name}: no samples`);
        const m = median(samples);
        const f: Figure = { suite: suite.name, name, unit, median: round(m), min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: samples.length };
        if (options.target) {
          const [op, value] = options.target;
          f.target = `${op === '<=' ? '≤' : '≥'} ${value}`;
          f.met = op === '<=' ? m <= value : m >= value;
        }
        if (options.note) f.note = options.note;
        figures.push(f);
        process.stdout.write(`   ${name}: ${f.median} ${unit} (min ${f.min}, max ${f.max}, n=${f.n})${f.target ? ` target ${f.target} ${f.met ? 'met' : 'MISSED'}` : ''}\n`);
        return f;
      },
    };
    try {
      await suite.run(recorder);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      failures.push({ suite: suite.name, error });
      process.stdout.write(`   FAILED: ${error}\n`);
    }
  }
  const at = new Date().toISOString();
  const info = machine();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const doc = { at, machine: info, suites: chosen.map((s) => s.name), figures, failures };
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify(doc, null, 2));
  fs.writeFileSync(path.join(RESULTS_DIR, `${at.replace(/[:.]/g, '-')}.json`), JSON.stringify(doc, null, 2));
  const md = markdown(at, info, figures, failures);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.md'), md);
  process.stdout.write(`\n${md}\nrecorded in ${path.relative(REPO_ROOT, path.join(RESULTS_DIR, 'latest.json'))} and latest.md\n`);
  if (failures.length) process.exitCode = 1;
  return figures;
}

function markdown(at: string, info: Record<string, string | number>, figures: Figure[], failures: Array<{ suite: string; error: string }>): string {
  const lines = [
    `Measured ${at} on ${info.cpus} × ${info.cpuModel}, ${info.memoryGiB} GiB, ${info.kernel}, Node ${info.node}, code-server ${info.codeServer}, root: ${info.root}.`,
    '',
    '| suite | figure | median | min | max | n | target |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...figures.map((f) => `| ${f.suite} | ${f.name}${f.note ? ` (${f.note})` : ''} | ${f.median} ${f.unit} | ${f.min} | ${f.max} | ${f.n} | ${f.target ? `${f.target} ${f.met ? '✓' : '✗'}` : ''} |`),
  ];
  for (const f of failures) lines.push('', `**${f.suite} failed:** ${f.error}`);
  return `${lines.join('\n')}\n`;
}
