import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { describeError } from '@codeyard/common/errors';
import { type IdeStaticRoot, ideStaticRootOf } from '@codeyard/proxy/ide-static';
import type { ReplSpec, SandboxId } from '../runtime.js';
import type { StackManifest } from '../../templates/manifest.js';
import type { AgentPaths } from '../agent-config.js';
import type { CodeServerCommand } from './code-server-provision.js';
import { codeServerArgs, codeServerEnv, codeServerNodeFlags, DEFAULT_SETTINGS, TSSERVER_NODE_SETTING } from './code-server-settings.js';
import type { EgressService } from './egress-proxy.js';
import { bindHostSockets } from './host-sockets.js';
import { codeServerBuiltinDir, prepareBuiltinExtensions } from './ide-extensions.js';
import type { ProcessRuntimeOptions, ReplLimits } from './options.js';
import { buildReplEnv } from './repl-env.js';
import { helperBeside, IDE_HELPERS, type ReplDirs, sharedDir } from './repl-folders.js';
import { joinCgroupsCommand } from './cgroups.js';
import { INSIDE, SANDBOX_PATH, sandboxCommand, type SandboxLimits, type SandboxMounts } from './sandbox.js';

/** Marks every process of one sandbox instance, so a later portal can tell them apart. */
export const INSTANCE_MARKER = 'CODEYARD_INSTANCE';

/** One sandbox of the process runtime: a warm one (no repl yet), a repl's, or a one-off save. */
export interface ProcessSandbox {
  /** Its own id: its cgroups' name (and its hostname while it is warm). */
  id: SandboxId;
  manifest: StackManifest;
  /** The repl it runs; undefined while it is warm. */
  spec?: ReplSpec;
  dirs: ReplDirs;
  /** Host uid of the sandbox, when the portal is root. */
  uid?: number;
  instance: string;
  env: Record<string, string>;
  /** cgroup.procs files the sandbox's processes join (memory, CPU). */
  cgroupProcs: string[];
  agentPid: number;
  /** When the sandbox had to be restarted lately. */
  restarts: number[];
  /** The repl's workspace relay (the agent syncs through it). */
  relay?: http.Server;
  /** The built-in extensions folder its code-server was given (kept for its agent config). */
  builtinExtensions?: string;
}

/** Paths as the sandbox's own processes see them, and where its agent bundle is. */
export interface SandboxView extends AgentPaths {
  agent: string;
}

/**
 * Turns a sandbox into processes: its environment, its bubblewrap command line, code-server's
 * command and built-in extensions, and the detached agent process itself.
 */
export class SandboxSpawner {
  readonly #opts: ProcessRuntimeOptions;
  readonly #egress: EgressService | undefined;
  /** The agent as sandboxes see it: a copy in the shared folder (readable by all, writable by none). */
  readonly agentCopy: string;
  readonly #onExit: () => void;
  #codeServer?: CodeServerCommand;
  #ideStatic?: { for: CodeServerCommand; root: IdeStaticRoot | undefined };
  /**
   * code-server's built-in extensions folders with the Codeyard extension in them, made once per
   * code-server and stack language set (keyed by the languages, `*` for all).
   */
  #builtinExtensions?: { for: CodeServerCommand; dirs: Map<string, Promise<string | undefined>> };

  constructor(opts: ProcessRuntimeOptions, egress: EgressService | undefined, onExit: () => void) {
    this.#opts = opts;
    this.#egress = egress;
    this.#onExit = onExit;
    this.agentCopy = opts.sandbox.mode === 'bubblewrap' ? path.join(sharedDir(opts.rootDir), 'codeyard-agent.cjs') : opts.agentBundle;
  }

  get #sandboxed(): boolean {
    return this.#opts.sandbox.mode === 'bubblewrap';
  }

  /** Paths as the sandbox's processes see them: fixed inside a sandbox, the host's otherwise. */
  view(dirs: ReplDirs): SandboxView {
    if (this.#sandboxed) return { home: INSIDE.home, workspace: INSIDE.workspace, run: INSIDE.run, state: INSIDE.state, agent: INSIDE.agent, store: INSIDE.store };
    return { home: dirs.home, workspace: dirs.workspace, run: dirs.run, state: dirs.state, agent: this.agentCopy, store: dirs.storeDir };
  }

  /**
   * The environment of the sandbox's processes, built from nothing (see repl-env.ts). A warm
   * sandbox has no repl id yet: CODEYARD_REPL_ID is then left out rather than wrong, and its
   * agent gives it to what it starts once activated (the extension, to new terminals).
   */
  replEnv(replId: string | undefined, dirs: ReplDirs, port: number, instance: string): Record<string, string> {
    const env = buildReplEnv({ replId: replId ?? '', home: this.view(dirs).home, port });
    if (!replId) delete env.CODEYARD_REPL_ID;
    if (this.#sandboxed) {
      // Only system folders exist inside: no host toolchain managers, no host user.
      env.PATH = SANDBOX_PATH;
      env.USER = env.LOGNAME = INSIDE.user;
      delete env.RUSTUP_HOME;
      delete env.PYENV_ROOT;
      if (this.#egress) {
        const proxy = `http://127.0.0.1:${INSIDE.egressPort}`;
        Object.assign(env, { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1' });
      }
    }
    // A Python virtual environment in the workspace comes first, from the moment it exists: `pip
    // install` and `python3` in terminals and Run use it (Debian's system Python refuses pip
    // installs, PEP 668). The python stack's install step makes it; an absent folder costs nothing.
    env.PATH = `${path.join(this.view(dirs).workspace, '.venv', 'bin')}:${env.PATH}`;
    if (instance) env[INSTANCE_MARKER] = instance;
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** How to run `argv` (inside paths) in the sandbox of `dirs`: wrapped in bubblewrap, or as it is. */
  command(dirs: ReplDirs, uid: number | undefined, env: Record<string, string>, argv: string[], readOnly: string[], cgroupProcs: string[] = [], limits: SandboxLimits = this.#opts.sandbox.limits): { file: string; args: string[]; spawnEnv: NodeJS.ProcessEnv } {
    if (!this.#sandboxed) return { file: argv[0]!, args: argv.slice(1), spawnEnv: env };
    const ideHelpers = (Object.keys(IDE_HELPERS) as Array<keyof typeof IDE_HELPERS>).map((helper) => helperBeside(this.agentCopy, helper)).filter((file) => fs.existsSync(file));
    const mounts: SandboxMounts = { home: dirs.home, workspace: dirs.workspace, run: dirs.run, state: dirs.state, etc: dirs.etc, agent: this.agentCopy, ideHelpers, readOnly, egress: this.#egress?.dir, store: dirs.storeDir, ideExtensions: fs.existsSync(this.#ideExtensionsParent) ? this.#ideExtensionsParent : undefined };
    const network = this.#opts.sandbox.network === 'host' ? 'host' : 'none';
    const sandboxed = sandboxCommand({ hostname: path.basename(dirs.base), hostUid: uid, limits, network, mounts, env, argv });
    const { file, args } = joinCgroupsCommand(cgroupProcs, sandboxed.file, sandboxed.args);
    // bwrap itself gets only what it needs, plus the marker that tells this instance's processes apart.
    const spawnEnv: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    if (env[INSTANCE_MARKER]) spawnEnv[INSTANCE_MARKER] = env[INSTANCE_MARKER];
    return { file, args, spawnEnv };
  }

  /** code-server, installed if needed (progress through `step`); also the Node that runs the agent. */
  async ensureCodeServer(step: (message: string) => void): Promise<CodeServerCommand> {
    this.#codeServer = await this.#opts.provisioner.ensure(step);
    return this.#codeServer;
  }

  /**
   * Where the code-server repls run keeps its versioned static files (read from its
   * `product.json` once it is known): the proxy serves them from there.
   */
  get ideStatic(): IdeStaticRoot | undefined {
    const cs = this.#codeServer;
    if (!cs) return undefined;
    if (this.#ideStatic?.for !== cs) this.#ideStatic = { for: cs, root: ideStaticRootOf(path.join(this.#installDir(cs), 'node_modules', 'code-server', 'lib', 'vscode')) ?? ideStaticRootOf(path.join(this.#installDir(cs), 'lib', 'vscode')) };
    return this.#ideStatic.root;
  }

  /** The folder code-server is installed in: the provisioned one, or around an external binary. */
  #installDir(cs: CodeServerCommand): string {
    return cs.version === 'external' ? path.dirname(path.dirname(fs.realpathSync(cs.command))) : this.#opts.provisioner.codeServerDir;
  }

  /** Knows code-server without a launch (an adopted sandbox that may have to be restarted). */
  async knowCodeServer(): Promise<void> {
    this.#codeServer ??= await this.#opts.provisioner.ensure(() => undefined);
  }

  /**
   * One sandbox, led by the agent; the agent runs code-server inside it, so the IDE's terminals
   * share the app's processes, network and limits. With `extra` (a one-off save) it serves
   * nothing; otherwise it gets the sockets the host will connect to.
   */
  async spawnAgent(sandbox: ProcessSandbox, limits: ReplLimits, extra: string[] = [], config = `${this.view(sandbox.dirs).run}/agent.json`): Promise<number> {
    const tools = this.#toolFolders();
    const node = this.#sandboxed ? tools.node : process.execPath;
    const argv = [node, this.view(sandbox.dirs).agent, config, ...extra];
    if (extra.length) return this.#spawn(sandbox, limits, 'agent-sync', argv, tools.readOnly);
    const sockets = await bindHostSockets(sandbox.dirs.sockets);
    let pid: number;
    try {
      pid = this.#spawn(sandbox, limits, 'agent', argv, tools.readOnly, sockets.fds);
    } catch (err) {
      sockets.discard();
      throw err;
    }
    sockets.publish();
    return pid;
  }

  /** code-server's command line for the sandbox of `view`. */
  codeServerArgv(view: SandboxView, builtinExtensionsDir?: string): string[] {
    const userDataDir = ideUserDataDir(view);
    const flags = codeServerArgs({
      socketPath: `${view.run}/ide.sock`,
      userDataDir,
      extensionsDir: `${userDataDir}/extensions`,
      configFile: `${view.home}/.config/code-server/config.yaml`,
      workspace: view.workspace,
      // Inside a sandbox the folders are at a fixed place: the host's data path stays unknown there.
      builtinExtensionsDir: builtinExtensionsDir && this.#sandboxed ? `${INSIDE.ideExtensions}/${path.basename(builtinExtensionsDir)}` : builtinExtensionsDir,
    });
    return [...this.#toolFolders().codeServer, ...flags];
  }

  /**
   * The command that starts code-server: the provisioned one through Codeyard's launcher (its
   * server in one process, without code-server's wrapper process: see
   * agent/src/code-server-launch.ts), an external one (CODE_SERVER_BIN) by its own command.
   */
  #codeServerCommand(cs: CodeServerCommand): string[] {
    const launcher = helperBeside(this.agentCopy, 'launcher');
    if (cs.version === 'external' || !fs.existsSync(launcher)) return [cs.command, ...cs.args];
    const idleGc = helperBeside(this.agentCopy, 'idleGc');
    const flags = codeServerNodeFlags(fs.existsSync(idleGc) ? (this.#sandboxed ? INSIDE.idleGc : idleGc) : undefined);
    return [cs.command, ...flags, this.#sandboxed ? INSIDE.ideLauncher : launcher, ...cs.args];
  }

  /**
   * VS Code's settings and code-server's environment in this runtime's repls
   * (code-server-settings.ts): the TypeScript server's Node is tsserver-node as the repl sees it,
   * run with code-server's own Node; with an external code-server (whose Node is unknown) or
   * without that file, VS Code's default.
   */
  ideTuning(): { settings: Record<string, unknown>; env: Record<string, string> } {
    const cs = this.#codeServer;
    const tsserverNode = helperBeside(this.agentCopy, 'tsserverNode');
    if (!cs || cs.version === 'external' || !fs.existsSync(tsserverNode)) {
      const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
      delete settings[TSSERVER_NODE_SETTING];
      return { settings, env: codeServerEnv(undefined) };
    }
    return { settings: { ...DEFAULT_SETTINGS, [TSSERVER_NODE_SETTING]: this.#sandboxed ? INSIDE.tsserverNode : tsserverNode }, env: codeServerEnv(cs.command) };
  }

  /**
   * The built-in extensions folder for code-server with the Codeyard extension and the language
   * tooling of the stack's languages (made on the first start of such a stack after provisioning,
   * then reused: nothing is done per repl). Undefined without the extension: a repl still starts,
   * with code-server's own built-ins.
   */
  prepareIdeExtensions(codeServer: CodeServerCommand, manifest: StackManifest): Promise<string | undefined> {
    const known = this.#builtinExtensions?.for;
    if (!known || known.command !== codeServer.command || known.version !== codeServer.version) this.#builtinExtensions = { for: codeServer, dirs: new Map() };
    const dirs = this.#builtinExtensions!.dirs;
    const key = manifest.languages ? [...manifest.languages].sort().join(',') : '*';
    const made = dirs.get(key);
    if (made) return made;
    const dir = (async (): Promise<string | undefined> => {
      const vsix = this.#opts.ideExtension;
      if (!vsix) return undefined;
      if (!fs.existsSync(vsix)) {
        this.#opts.log.warn({ vsix }, 'the Codeyard VS Code extension is not built (npm run build); repls start without it');
        return undefined;
      }
      const install = this.#installDir(codeServer);
      const builtins = codeServerBuiltinDir(install);
      if (!builtins) {
        this.#opts.log.warn({ install }, "code-server's built-in extensions were not found; repls start without the Codeyard extension");
        return undefined;
      }
      return prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir: this.#ideExtensionsParent, languages: manifest.languages });
    })().catch((err: unknown) => {
      this.#opts.log.error({ err: describeError(err) }, 'could not prepare the Codeyard VS Code extension; repls start without it');
      dirs.delete(key);
      return undefined;
    });
    dirs.set(key, dir);
    return dir;
  }

  /** Where the built-in extensions folders are made: in the shared folder, readable by every sandbox. */
  get #ideExtensionsParent(): string {
    return path.join(sharedDir(this.#opts.rootDir), 'ide-extensions');
  }

  /** Folders code-server (and the Node that runs the agent) need to be visible in the sandbox. */
  #toolFolders(): { readOnly: string[]; node: string; codeServer: string[] } {
    const cs = this.#codeServer;
    if (!cs) throw new Error('code-server is not provisioned yet');
    if (cs.version === 'external') {
      const install = path.dirname(path.dirname(fs.realpathSync(cs.command)));
      const node = process.execPath;
      const readOnly = [install, ...(node.startsWith('/usr/') ? [] : [path.dirname(path.dirname(node))])];
      return { readOnly, node, codeServer: this.#codeServerCommand(cs) };
    }
    return { readOnly: [this.#opts.provisioner.nodeDir, this.#opts.provisioner.codeServerDir], node: cs.command, codeServer: this.#codeServerCommand(cs) };
  }

  /** Starts a detached process group with its output appended to `state/<name>.log`. */
  #spawn(sandbox: ProcessSandbox, limits: ReplLimits, name: string, argv: string[], readOnly: string[], passFds: number[] = []): number {
    const { file, args, spawnEnv } = this.command(sandbox.dirs, sandbox.uid, sandbox.env, argv, readOnly, sandbox.cgroupProcs, limits);
    const out = openLogSafely(path.join(sandbox.dirs.state, `${name}.log`));
    try {
      const child = spawn(file, args, { cwd: this.#sandboxed ? '/' : sandbox.dirs.workspace, env: spawnEnv, detached: true, stdio: ['ignore', out, out, ...passFds] });
      if (!child.pid) throw new Error(`could not start ${name} (${file})`);
      child.on('error', (err) => this.#opts.log.error({ err: err.message, name }, 'process error'));
      child.on('exit', () => setImmediate(this.#onExit));
      child.unref();
      return child.pid;
    } finally {
      fs.closeSync(out);
    }
  }
}

/**
 * Opens a log for appending in a folder the repl can write to, without following what the repl
 * may have left there: a symlink or FIFO in place of the log is removed, never written through
 * (no repl process runs while the portal does this).
 */
function openLogSafely(file: string): number {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) fs.rmSync(file, { force: true });
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  return fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
}

/** code-server's `--user-data-dir` in a sandbox seen as `view` (VS Code's page names it too). */
export function ideUserDataDir(view: SandboxView): string {
  return `${view.home}/.local/share/code-server`;
}
