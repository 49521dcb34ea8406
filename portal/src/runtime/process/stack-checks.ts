import { execFile } from 'node:child_process';
import { Slots } from '@codeyard/common/concurrency';
import { compareVersions, findVersion, type StackManifest } from '../../templates/manifest.js';
import type { StackAvailability } from '../runtime.js';
import type { HostCapabilities } from './host-capabilities.js';
import type { ProcessRuntimeOptions } from './options.js';
import { replDirs } from './repl-folders.js';
import { SANDBOX_PATH } from './sandbox.js';
import type { SandboxLauncher } from './sandbox-launch.js';
import type { SandboxSpawner } from './sandbox-spawn.js';

const STACK_CHECK_TTL_MS = 60_000;
const STACK_CHECK_TIMEOUT_MS = 10_000;
/** Toolchain checks (each a sandbox) running at once, whatever the number of requests. */
const MAX_STACK_CHECKS = 2;

/**
 * Whether sandboxes can be made here at all, and whether a stack's toolchain is there: both
 * answered by a short-lived sandbox like a repl's, in a `check` folder of its own.
 */
export class StackChecks {
  readonly #opts: ProcessRuntimeOptions;
  readonly #caps: HostCapabilities;
  readonly #spawner: SandboxSpawner;
  #launcher?: SandboxLauncher;
  readonly #availability = new Map<string, { at: number; result: StackAvailability }>();
  readonly #checking = new Map<string, Promise<StackAvailability>>();
  readonly #slots = new Slots(MAX_STACK_CHECKS);
  #sandboxCheck?: Promise<string | undefined>;

  constructor(opts: ProcessRuntimeOptions, caps: HostCapabilities, spawner: SandboxSpawner) {
    this.#opts = opts;
    this.#caps = caps;
    this.#spawner = spawner;
  }

  /** The launcher prepares the check's folders (and asks sandboxProblem() before every launch). */
  use(launcher: SandboxLauncher): void {
    this.#launcher = launcher;
  }

  /** Undefined when a sandbox can be made here; else why not and what to do. Checked once. */
  sandboxProblem(): Promise<string | undefined> {
    this.#sandboxCheck ??= (async () => {
      if (this.#opts.sandbox.mode === 'off') return undefined;
      const { file, args, spawnEnv } = await this.#command({ PATH: SANDBOX_PATH }, ['/bin/true']);
      return new Promise<string | undefined>((resolve) => {
        execFile(file, args, { env: spawnEnv, timeout: 10_000, cwd: '/' }, (err, _stdout, stderr) => {
          if (!err) return resolve(undefined);
          resolve(`bubblewrap cannot make a sandbox on this machine (${(stderr || err.message).trim()}). Install bubblewrap and allow unprivileged user namespaces, or set CODEYARD_SANDBOX=off for trusted single-user use`);
        });
      });
    })();
    return this.#sandboxCheck;
  }

  /**
   * Whether a stack's toolchain is there, checked in a sandbox like the repl's and cached for a
   * minute. Single-flight per stack and at most MAX_STACK_CHECKS sandboxes at once: a burst of
   * requests (the review sent many GET /api/stacks after the cache expired) waits for the one
   * check in flight instead of starting a sandbox each. A check that could not finish (timeout,
   * no processes left) is not a verdict: the last verdict stands, or "try again" is answered,
   * and nothing is cached.
   */
  checkStack(manifest: StackManifest): Promise<StackAvailability> {
    const cached = this.#availability.get(manifest.id);
    if (cached && Date.now() - cached.at < STACK_CHECK_TTL_MS) return Promise.resolve(cached.result);
    let check = this.#checking.get(manifest.id);
    if (!check) {
      check = this.#slots.run(() => this.#checkNow(manifest)).finally(() => this.#checking.delete(manifest.id));
      this.#checking.set(manifest.id, check);
    }
    return check;
  }

  async #checkNow(manifest: StackManifest): Promise<StackAvailability> {
    const problem = await this.sandboxProblem();
    if (problem) return { available: false, reason: problem };
    const tc = manifest.toolchain;
    // Nothing of the machine's own to look for: what it runs comes with Codeyard.
    if (!tc) return { available: true };
    // The check runs where the repl will: in a sandbox of its own when sandboxing is on.
    const dirs = replDirs(this.#opts.rootDir, 'check');
    const env = this.#spawner.replEnv('check', dirs, manifest.port, '');
    const { file, args, spawnEnv } = await this.#command(env, ['/bin/sh', '-c', tc.check]);
    const verdict = await new Promise<StackAvailability | undefined>((resolve) => {
      execFile(file, args, { env: spawnEnv, timeout: STACK_CHECK_TIMEOUT_MS, cwd: '/' }, (err, stdout, stderr) => {
        const where = this.#opts.sandbox.mode === 'bubblewrap' ? 'in the repl sandbox, which sees only system folders (/usr, /bin…)' : 'on this machine';
        // Killed at the timeout, or no process could be made: the machine was busy, not the stack missing.
        if (err && (err.killed || typeof err.code === 'string')) return resolve(undefined);
        if (err) return resolve({ available: false, reason: `${tc.name} was not found ${where}. ${tc.installHint}` });
        const version = findVersion(`${stdout}\n${stderr}`);
        if (tc.minVersion && (!version || compareVersions(version, tc.minVersion) < 0)) {
          return resolve({ available: false, version, reason: `${tc.name} ${version ?? '(unknown version)'} is older than the ${tc.minVersion} this stack needs. ${tc.installHint}` });
        }
        resolve({ available: true, version });
      });
    });
    if (!verdict) {
      this.#opts.log.warn({ stack: manifest.id }, 'stack check did not finish (machine busy); keeping the last verdict');
      return this.#availability.get(manifest.id)?.result ?? { available: false, reason: `the ${tc.name} check did not finish: the machine is busy. Try again in a moment` };
    }
    this.#availability.set(manifest.id, { at: Date.now(), result: verdict });
    return verdict;
  }

  /** `argv` in the check's sandbox (its folders made first; the uid below every repl's). */
  async #command(env: Record<string, string>, argv: string[]): Promise<{ file: string; args: string[]; spawnEnv: NodeJS.ProcessEnv }> {
    if (!this.#launcher) throw new Error('the stack checks have no launcher');
    const dirs = replDirs(this.#opts.rootDir, 'check');
    const uid = this.#caps.switchesUid ? this.#opts.sandbox.uidBase - 1 : undefined;
    await this.#launcher.prepareFolders(dirs, uid, { emptyWorkspace: true });
    return this.#spawner.command(dirs, uid, env, argv, []);
  }
}
