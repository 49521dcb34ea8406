import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import YAML from 'yaml';

/**
 * Renders charts/codeyard for the chart tests: with `helm template` when helm is on PATH, and
 * always with helm-standin (this folder's Go program: Helm's engine, text/template + sprig),
 * since helm cannot be installed on the machines these tests run on.
 */

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CHART_DIR = path.join(REPO_ROOT, 'charts/codeyard');
const STANDIN_SOURCE = path.join(REPO_ROOT, 'portal/test/chart/helm-standin/main.go');

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: unknown };

/** The value files under ci/: each one is a variant every test renders. */
export async function variants(): Promise<string[]> {
  return (await readdir(path.join(CHART_DIR, 'ci'))).filter((f) => f.endsWith('.yaml')).sort();
}

async function onPath(command: string): Promise<boolean> {
  try {
    await run(command, ['version'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Why the stand-in cannot be built here, or undefined when it can. */
export async function standinMissing(): Promise<string | undefined> {
  if (!(await onPath('go'))) return 'go is not installed (apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)';
  return undefined;
}

export const helmAvailable = (): Promise<boolean> => onPath('helm');

let built: Promise<string> | undefined;
/** Builds helm-standin once per test process, offline, from Debian's Go sources (GOPATH mode). */
export function buildStandin(): Promise<string> {
  built ??= (async () => {
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'cy-helm-standin-')), 'helm-standin');
    // Offline: Debian's sources only (GOPATH mode, no module proxy); the build cache outlives the run.
    const env = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOPROXY: 'off', GOFLAGS: '', GOCACHE: path.join(os.tmpdir(), 'codeyard-go-build') };
    await run('go', ['build', '-o', out, STANDIN_SOURCE], { env, timeout: 300_000 }).catch((err: { stderr?: string }) => {
      throw new Error(`helm-standin did not build (needs golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev): ${err.stderr ?? String(err)}`);
    });
    return out;
  })();
  return built;
}

export interface RenderOptions {
  /** Files under ci/ (names) or absolute paths. */
  values?: string[];
  release?: string;
  namespace?: string;
}

function valueArgs(values: string[]): string[] {
  return values.flatMap((v) => ['-f', path.isAbsolute(v) ? v : path.join(CHART_DIR, 'ci', v)]);
}

/** The chart's output as text, from `engine` ('standin' or 'helm'); rejects with the renderer's message. */
export async function renderText(engine: 'standin' | 'helm', options: RenderOptions = {}, extra: string[] = []): Promise<string> {
  const { values = [], release = 'demo', namespace = 'codeyard' } = options;
  const args = ['-n', namespace, ...extra, ...valueArgs(values), release, CHART_DIR];
  const command = engine === 'helm' ? 'helm' : await buildStandin();
  try {
    return (await run(command, engine === 'helm' ? ['template', ...args] : args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    throw new Error(((err as { stderr?: string }).stderr ?? String(err)).trim());
  }
}

/**
 * Rendered YAML → objects, parsed as the API server reads YAML (1.1: an unquoted `on` is a
 * boolean there), refusing duplicate keys; documents that hold only comments are skipped.
 */
export function parseObjects(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of YAML.parseAllDocuments(text, { version: '1.1', uniqueKeys: true })) {
    if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

export async function render(options: RenderOptions = {}): Promise<K8sObject[]> {
  return parseObjects(await renderText('standin', options));
}

/** The values helm checks against values.schema.json: the chart's defaults coalesced with the files. */
export async function mergedValues(values: string[]): Promise<unknown> {
  const { stdout } = await run(await buildStandin(), ['--show-values', ...valueArgs(values), 'demo', CHART_DIR], { timeout: 60_000 });
  return JSON.parse(stdout);
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length} (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found[0]!;
}
