import fs from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_VERSION } from '../runtime/process/code-server-provision.js';
import { imageInputs, prepareContext } from './context.js';
import { preparePortalContext } from './portal-context.js';
import { type DebianSource, ensureDebianBase } from './debian-base.js';
import { buildImage, type Engine, inspectImage, removeImages } from './engine.js';
import { INPUTS_LABEL, inputsHash, isUpToDate, STACK_LABEL } from './inputs.js';
import { imageRef, type ImageNaming } from './layout.js';

export interface BuildImagesOptions {
  engine: Engine;
  naming: ImageNaming;
  /** Stack ids to build (the base is always built or found first). */
  stacks: readonly string[];
  /** Build the portal's image too (codeyard-portal: the portal and proxy Deployments run it). */
  portal: boolean;
  /** A CA bundle the build's HTTPS steps trust too (never written into an image). */
  caBundle?: string;
  debian: { source: DebianSource; image: string };
  /** Build even when the inputs did not change (and without the engine's layer cache). */
  rebuild: boolean;
  root: string;
  workDir: string;
  codeyardVersion: string;
  log: (line: string) => void;
}

/** One image's outcome, for the summary. */
export interface ImageReport {
  name: string;
  ref: string;
  outcome: 'built' | 'cached' | 'found' | 'pulled';
  seconds: number;
  sizeBytes: number;
}

/** Context files each image uses (a change to another file does not rebuild it). */
const BASE_FILES = ['clean-image.sh', 'node.tgz', 'npm.tgz', 'codeyard.vsix', 'prepare-ide.cjs', 'codeyard-agent.cjs', 'idle-gc.cjs', 'tsserver-node', 'image.json'];
const STACK_FILES = ['clean-image.sh', 'stack-packages.sh', 'npm.tgz'];

/** A long line cut for the progress display. */
function short(line: string, max = 140): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Builds the base image and one image per stack, each skipped when an image of that name was
 * built from the same inputs (its `io.codeyard.inputs` label): the Containerfile, the context
 * files it uses, its build arguments and the id of the image it is built FROM. The engine's
 * own layer cache speeds up what does get built (code-server's install is an early layer).
 */
export async function buildImages(options: BuildImagesOptions): Promise<ImageReport[]> {
  const { engine, log } = options;
  const reports: ImageReport[] = [];
  const logs = path.join(options.workDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  let started = Date.now();
  const debian = await ensureDebianBase({ engine, source: options.debian.source, image: options.debian.image, workDir: options.workDir, rebuild: options.rebuild, log: (line) => log(`debian: ${line}`) });
  const debianFacts = await inspectImage(engine, debian.ref);
  reports.push({ name: 'debian', ref: debian.ref, outcome: debian.made, seconds: (Date.now() - started) / 1000, sizeBytes: debianFacts?.sizeBytes ?? 0 });

  // Images a build replaced under the same name: left behind they pile up (a gigabyte each).
  const replaced: Array<{ name: string; id: string; sizeBytes: number }> = [];
  log('preparing the build context');
  const context = await prepareContext({ root: options.root, workDir: options.workDir, codeyardVersion: options.codeyardVersion, log });
  const build = async (name: string, containerfile: string, files: readonly string[], buildArgs: Record<string, string>, fromId: string): Promise<string> => {
    const ref = imageRef(name, options.naming);
    const hash = inputsHash([...imageInputs(context, containerfile, files, buildArgs), ['from', fromId]]);
    started = Date.now();
    const existing = await inspectImage(engine, ref);
    if (existing && isUpToDate(existing.labels, hash) && !options.rebuild) {
      log(`${name}: ${ref} is up to date`);
      reports.push({ name, ref, outcome: 'cached', seconds: (Date.now() - started) / 1000, sizeBytes: existing.sizeBytes });
      return existing.id;
    }
    log(`${name}: building ${ref}`);
    const logFile = path.join(logs, `${name}.log`);
    fs.writeFileSync(logFile, '');
    const ticker = setInterval(() => log(`${name}: still building (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
    try {
      await buildImage(
        engine,
        { containerfile, context: context.dir, ref, buildArgs, labels: { [INPUTS_LABEL]: hash, [STACK_LABEL]: name }, extraCa: options.caBundle, noCache: options.rebuild },
        { logFile, timeoutMs: 45 * 60_000, onLine: (line) => /(^|\] )STEP \d+\/\d+|^#\d+ \[/.test(line) && log(`${name}: ${short(line)}`) },
      );
    } finally {
      clearInterval(ticker);
    }
    const facts = await inspectImage(engine, ref);
    if (!facts) throw new Error(`${ref} was built but the engine does not know it`);
    reports.push({ name, ref, outcome: 'built', seconds: (Date.now() - started) / 1000, sizeBytes: facts.sizeBytes });
    if (existing && existing.id !== facts.id) replaced.push({ name, id: existing.id, sizeBytes: existing.sizeBytes });
    return facts.id;
  };
  const images = path.join(options.root, 'images');
  const baseId = await build('base', path.join(images, 'Containerfile.base'), BASE_FILES, { BASE_IMAGE: debian.ref, CODE_SERVER_VERSION }, debian.id);
  const baseRef = imageRef('base', options.naming);
  for (const stack of options.stacks) await build(stack, path.join(images, 'Containerfile.stack'), STACK_FILES, { BASE: baseRef, STACK: stack }, baseId);
  if (options.portal) {
    const appFiles = preparePortalContext(options.root, context.dir, context.files);
    await build('portal', path.join(images, 'Containerfile.portal'), ['clean-image.sh', 'node.tgz', 'npm.tgz', ...appFiles], { BASE_IMAGE: debian.ref }, debian.id);
  }
  // Stacks before the base they were built FROM: an old base goes only once no old stack needs it.
  await removeImages(engine, replaced.reverse(), log);
  return reports;
}

/** The summary table: each image, what happened, how long it took, its size. */
export function formatReport(reports: readonly ImageReport[]): string {
  const rows = reports.map((r) => [r.ref, r.outcome, `${r.seconds.toFixed(1)} s`, `${Math.round(r.sizeBytes / 1e6)} MB`]);
  const header = ['image', 'outcome', 'time', 'size'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

