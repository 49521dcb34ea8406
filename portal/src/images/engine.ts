import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** A container engine's command line: podman, or docker with a daemon that answers. */
export interface Engine {
  name: 'podman' | 'docker';
  /** The program (on PATH). */
  bin: string;
}

export interface RunOptions {
  /** Each output line as it comes (progress). */
  onLine?: (line: string) => void;
  /** Everything the command writes is appended here too (the build log). */
  logFile?: string;
  /** Killed (and failed) after this long. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a program; resolves with its stdout, rejects with an error that carries the last lines
 * of its output (and the log file's path when there is one).
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    let stdout = '';
    let tail = '';
    let partial = '';
    const onData = (chunk: Buffer, isStdout: boolean): void => {
      const text = chunk.toString('utf8');
      if (isStdout) stdout += text;
      tail = (tail + text).slice(-3000);
      log?.write(chunk);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine?.(line.trimEnd());
    };
    child.stdout.on('data', (c: Buffer) => onData(c, true));
    child.stderr.on('data', (c: Buffer) => onData(c, false));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      log?.end();
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial.trim()) options.onLine?.(partial.trimEnd());
      log?.end();
      if (code === 0) return resolve(stdout);
      const why = signal ? `was killed (${signal}${options.timeoutMs ? `, limit ${Math.round(options.timeoutMs / 1000)} s` : ''})` : `failed with code ${code}`;
      reject(new Error(`${file} ${args.join(' ')} ${why}:\n${tail.trim()}${options.logFile ? `\n(full log: ${options.logFile})` : ''}`));
    });
  });
}

async function answers(file: string, args: string[]): Promise<boolean> {
  return runCommand(file, args, { timeoutMs: 20_000 }).then(
    () => true,
    () => false,
  );
}

/**
 * The engine to build with: the one asked for, else podman when it runs, else docker when its
 * daemon answers (a docker CLI without a daemon is no engine). Undefined when there is none.
 */
export async function detectEngine(wanted?: Engine['name']): Promise<Engine | undefined> {
  const candidates: Engine[] = wanted ? [{ name: wanted, bin: wanted }] : [{ name: 'podman', bin: 'podman' }, { name: 'docker', bin: 'docker' }];
  for (const engine of candidates) {
    // `podman version` needs no service; `docker info` fails without a daemon.
    if (await answers(engine.bin, engine.name === 'podman' ? ['version', '--format', '{{.Client.Version}}'] : ['info', '--format', '{{.ServerVersion}}'])) return engine;
  }
  return undefined;
}

/** What `image inspect` tells about one image. */
export interface ImageFacts {
  id: string;
  sizeBytes: number;
  labels: Record<string, string>;
}

/** The image's id, size and labels, or undefined when the engine has no such image. */
export async function inspectImage(engine: Engine, ref: string): Promise<ImageFacts | undefined> {
  let out: string;
  try {
    out = await runCommand(engine.bin, ['image', 'inspect', ref], { timeoutMs: 60_000 });
  } catch {
    return undefined;
  }
  const [image] = JSON.parse(out) as Array<{ Id: string; Size: number; Config?: { Labels?: Record<string, string> | null } }>;
  if (!image) return undefined;
  return { id: image.Id, sizeBytes: image.Size, labels: image.Config?.Labels ?? {} };
}

export interface BuildRequest {
  containerfile: string;
  context: string;
  ref: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** A CA bundle the build's HTTPS steps trust too: a build secret, never in a layer. */
  extraCa?: string;
  noCache?: boolean;
}

/** The engine's command line for one build (podman and docker with BuildKit take the same one). */
export function buildArgs(request: BuildRequest): string[] {
  const args = ['build', '--file', request.containerfile, '--tag', request.ref];
  for (const [name, value] of Object.entries(request.buildArgs)) args.push('--build-arg', `${name}=${value}`);
  for (const [name, value] of Object.entries(request.labels)) args.push('--label', `${name}=${value}`);
  if (request.extraCa) args.push('--secret', `id=extra-ca,src=${request.extraCa}`);
  if (request.noCache) args.push('--no-cache');
  args.push(request.context);
  return args;
}

/** Builds one image; progress lines go to onLine, the whole output to logFile. */
export function buildImage(engine: Engine, request: BuildRequest, options: RunOptions): Promise<string> {
  const args = buildArgs(request);
  // docker needs BuildKit for RUN --mount and build secrets; --progress=plain gives step lines.
  if (engine.name === 'docker') args.splice(1, 0, '--progress=plain');
  const env = engine.name === 'docker' ? { ...process.env, DOCKER_BUILDKIT: '1' } : process.env;
  return runCommand(engine.bin, args, { ...options, env });
}

/**
 * Removes images a build replaced (by id: their name now belongs to the new one). An image still
 * used (a container runs it, another image is built on it) is kept and said so: removal is
 * tidying, never a reason to fail a build. Nothing is forced.
 */
export async function removeImages(engine: Engine, images: ReadonlyArray<{ name: string; id: string; sizeBytes: number }>, log: (line: string) => void): Promise<void> {
  for (const image of images) {
    const short = image.id.replace(/^sha256:/, '').slice(0, 12);
    try {
      await runCommand(engine.bin, ['image', 'rm', image.id], { timeoutMs: 120_000 });
      log(`${image.name}: removed the image it replaced (${short}, ${Math.round(image.sizeBytes / 1e6)} MB)`);
    } catch (err) {
      const why = String((err as Error).message).split('\n').slice(1).join(' ').trim().slice(0, 200);
      log(`${image.name}: kept the image it replaced (${short}): ${why || 'the engine refused'}`);
    }
  }
}
