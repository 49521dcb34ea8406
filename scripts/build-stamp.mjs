// Skips build steps whose inputs have not changed since their outputs were made.
//
// Each step leaves a stamp (a JSON file in the stamp folder) holding what its inputs were when it
// last succeeded (a SHA-256 of every input file's content, plus the step's own definition and the
// versions of its tools) and what its outputs were right after (size and mtime of every output
// file). A step runs again when any input differs, when the stamp is missing or unreadable, or
// when an output is missing or was changed since (another build, a `tsc -b --clean`, a hand edit).
// Content hashes, not mtimes, decide for inputs: a `git checkout` that puts back the same bytes
// rebuilds nothing, and a file edited within the same second still rebuilds.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * @typedef {string | { path: string, ext?: string[] }} InputSpec
 *   A file or folder relative to the root (folders are read whole, or only names ending in one
 *   of `ext`). A path that does not exist counts as an input too: creating it rebuilds.
 * @typedef {{ name: string, from?: string }} ToolSpec
 *   A package whose version is part of the inputs, found from the folder `from` (default: root)
 *   the way Node finds it (the nearest node_modules going up).
 * @typedef {{
 *   name: string,
 *   inputs: InputSpec[],
 *   outputs: string[],
 *   tools?: ToolSpec[],
 *   command: string[],
 * }} Step
 *   `command` is run in the root with the output shown; `outputs` are files or folders it makes.
 * @typedef {{ version: number, definition: string, inputs: Record<string, string>, outputs: Record<string, string> }} Stamp
 */

const STAMP_VERSION = 1;
/** Never read as inputs: installed packages (their versions come from the lockfile and `tools`). */
const SKIPPED_DIRS = new Set(['node_modules', '.git']);

/** Every file under `rel` (a file or a folder), relative to `root`, sorted; [] when it does not exist. */
function listFiles(root, rel, ext) {
  const abs = path.join(root, rel);
  let stat;
  try {
    stat = fs.statSync(abs);
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [rel];
  const out = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const child = path.posix.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, child, ext));
    else if (!ext || ext.some((e) => entry.name.endsWith(e))) out.push(child);
  }
  return out.sort();
}

/** The version of package `name` as Node would find it from `from`, or 'missing'. */
export function toolVersion(root, tool) {
  for (let dir = path.resolve(root, tool.from ?? '.'); ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', tool.name, 'package.json'), 'utf8')).version;
    } catch {
      if (dir === path.dirname(dir)) return 'missing';
    }
  }
}

/** What the step's inputs are now: path → content hash (`absent` for a named path that is not there). */
export function fingerprintInputs(root, step) {
  /** @type {Record<string, string>} */
  const inputs = {};
  for (const spec of step.inputs) {
    const { path: rel, ext } = typeof spec === 'string' ? { path: spec, ext: undefined } : spec;
    const files = listFiles(root, rel, ext);
    if (files.length === 0 && !fs.existsSync(path.join(root, rel))) inputs[rel] = 'absent';
    for (const file of files) inputs[file] = crypto.createHash('sha256').update(fs.readFileSync(path.join(root, file))).digest('hex');
  }
  for (const tool of step.tools ?? []) inputs[`tool:${tool.name}`] = toolVersion(root, tool);
  return inputs;
}

/** What the step's outputs are now: path → "size:mtime"; undefined when a named output is missing. */
export function fingerprintOutputs(root, step) {
  /** @type {Record<string, string>} */
  const outputs = {};
  for (const rel of step.outputs) {
    const files = listFiles(root, rel);
    if (files.length === 0) return undefined;
    for (const file of files) {
      const stat = fs.statSync(path.join(root, file));
      outputs[file] = `${stat.size}:${stat.mtimeMs}`;
    }
  }
  return outputs;
}

/** The step as text: a changed command, input list or output list rebuilds it. */
function definition(step) {
  return JSON.stringify({ inputs: step.inputs, outputs: step.outputs, tools: step.tools ?? [], command: step.command });
}

function stampFile(stampDir, step) {
  return path.join(stampDir, `${step.name}.json`);
}

/** @returns {Stamp | undefined} */
function readStamp(stampDir, step) {
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile(stampDir, step), 'utf8'));
    return stamp?.version === STAMP_VERSION ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** The first difference between two path → value maps, as a short phrase; undefined when equal. */
function firstDifference(before, now, what) {
  for (const [file, value] of Object.entries(now)) {
    if (!(file in before)) return `${file} is new`;
    if (before[file] !== value) return file.startsWith('tool:') ? `${file.slice(5)} is now ${value}` : `${file} ${what}`;
  }
  for (const file of Object.keys(before)) if (!(file in now)) return `${file} is gone`;
  return undefined;
}

/**
 * Why `step` must run, or undefined when its stamp says its outputs were made from exactly
 * these inputs and are still as it left them.
 */
export function staleReason(root, stampDir, step, inputs = fingerprintInputs(root, step)) {
  const stamp = readStamp(stampDir, step);
  if (!stamp) return 'never built here';
  if (stamp.definition !== definition(step)) return 'its build step changed';
  const input = firstDifference(stamp.inputs, inputs, 'changed');
  if (input) return input;
  const outputs = fingerprintOutputs(root, step);
  if (!outputs) return 'an output is missing';
  const output = firstDifference(stamp.outputs, outputs, 'was changed since the build');
  return output ? `output ${output}` : undefined;
}

/** Writes the stamp in one rename, so a build stopped half-way leaves the old stamp or none. */
function writeStamp(stampDir, step, inputs, outputs) {
  fs.mkdirSync(stampDir, { recursive: true });
  const file = stampFile(stampDir, step);
  /** @type {Stamp} */
  const stamp = { version: STAMP_VERSION, definition: definition(step), inputs, outputs };
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(stamp));
  fs.renameSync(`${file}.tmp`, file);
}

/** Runs `command` in `cwd` with its output shown; rejects when it fails. */
export function runCommand([program, ...args], cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${[program, ...args].join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

/**
 * Runs the steps in order, each only when stale (or all with `force`). The inputs are read
 * before a step runs and stamped after it succeeds, so a source edited during the build is
 * seen as changed next time. A failed step removes its stamp and stops the build.
 * @returns {Promise<{ ran: string[], skipped: string[] }>}
 */
export async function runSteps(steps, { root, stampDir, force = false, run = runCommand, say = (line) => process.stderr.write(`${line}\n`) }) {
  const ran = [];
  const skipped = [];
  for (const step of steps) {
    const inputs = fingerprintInputs(root, step);
    const reason = force ? 'forced' : staleReason(root, stampDir, step, inputs);
    if (!reason) {
      skipped.push(step.name);
      continue;
    }
    say(`[build] ${step.name}: ${reason}; building`);
    fs.rmSync(stampFile(stampDir, step), { force: true });
    await run(step.command, root);
    const outputs = fingerprintOutputs(root, step);
    if (!outputs) throw new Error(`build step ${step.name} succeeded but did not make ${step.outputs.join(', ')}`);
    writeStamp(stampDir, step, inputs, outputs);
    ran.push(step.name);
  }
  return { ran, skipped };
}
