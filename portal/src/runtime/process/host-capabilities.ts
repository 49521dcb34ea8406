import { describeError } from '@codeyard/common/errors';
import type { LimitReport, RuntimeDescription } from '../runtime.js';
import { type CgroupSupport, detectCgroups } from './cgroups.js';
import type { Logger, SandboxOptions } from './options.js';
import { prepareShared, sharedDir } from './repl-folders.js';
import { mountVolume, releaseVolume, remountVolume, volumeNeeds, volumeProblem } from './workspace-volume.js';

/**
 * What this host lets the process runtime enforce, found out once: per-repl uids (a root portal
 * with bubblewrap), writable cgroups, loop-mounted volumes. describe() reports it as it really
 * is: a limit this host cannot apply says so, with why.
 */
export class HostCapabilities {
  /** A root portal gives every sandbox its own unprivileged host uid. */
  readonly switchesUid: boolean;
  readonly cgroups: CgroupSupport;
  readonly #rootDir: string;
  readonly #sandbox: SandboxOptions;
  readonly #log: Logger;
  /** The agent bundle to copy into the shared folder (bubblewrap only). */
  readonly #agentBundle: string | undefined;
  #volumeProblem: string | undefined;
  #volumeProbe?: Promise<void>;

  constructor(options: { rootDir: string; sandbox: SandboxOptions; log: Logger; agentBundle?: string }) {
    this.#rootDir = options.rootDir;
    this.#sandbox = options.sandbox;
    this.#log = options.log;
    this.#agentBundle = options.agentBundle;
    this.switchesUid = options.sandbox.mode === 'bubblewrap' && process.getuid?.() === 0;
    // Writing cgroups takes root; a non-root portal relies on the host's own limits.
    this.cgroups = this.switchesUid ? detectCgroups() : {};
    this.#volumeProblem = options.sandbox.mode === 'bubblewrap' ? volumeProblem() : 'no sandbox';
  }

  /** Why workspaces get no disk quota here, or undefined when they do (known after probeVolumes()). */
  get volumeProblem(): string | undefined {
    return this.#volumeProblem;
  }

  /**
   * Makes and mounts one small volume, once: a host where loop mounts are refused (some
   * containers) then runs repls without a disk quota, and says so, instead of failing every start.
   */
  probeVolumes(): Promise<void> {
    this.#volumeProbe ??= (async () => {
      const shared = sharedDir(this.#rootDir);
      if (!this.#volumeProblem) {
        // The shared folder is the probe: a volume of its own, so its path inside tells nothing.
        try {
          if (!(await remountVolume(`${shared}.img`, shared))) await mountVolume(`${shared}.img`, shared, volumeNeeds(64 * 1024 * 1024));
        } catch (err) {
          this.#volumeProblem = `loop-mounted volumes do not work here (${describeError(err).split('\n')[0]})`;
          this.#log.warn({}, `no workspace disk quota: ${this.#volumeProblem}`);
          await releaseVolume(`${shared}.img`, shared).catch(() => undefined);
        }
      }
      await prepareShared(this.#rootDir, this.#agentBundle);
    })();
    return this.#volumeProbe;
  }

  /** What the runtime `driver` enforces here. */
  describe(driver: string): RuntimeDescription {
    const sandboxed = this.#sandbox.mode === 'bubblewrap';
    const perUid = this.switchesUid;
    const { processes, openFiles, memoryBytes, cpus, diskBytes } = this.#sandbox.limits;
    const rlimit = (value: number, what: string): LimitReport =>
      perUid ? { value, enforced: true, mechanism: `${what} on the repl's own host uid` } : { value, enforced: false, reason: 'rlimits are applied only when the portal runs as root and gives each repl its own uid' };
    return {
      driver,
      sandbox: this.#sandbox.mode,
      network: sandboxed ? (this.#sandbox.network === 'internet' ? 'internet (HTTP/HTTPS through the egress proxy; public addresses only)' : this.#sandbox.network) : 'host',
      uidPerRepl: perUid,
      limits: {
        processes: rlimit(processes, 'RLIMIT_NPROC'),
        openFiles: rlimit(openFiles, 'RLIMIT_NOFILE'),
        memory: this.cgroups.memory
          ? { value: memoryBytes, enforced: true, mechanism: `cgroup v${this.cgroups.memory.version} memory controller, per repl (the OOM killer stays inside it)` }
          : { value: memoryBytes, enforced: false, reason: perUid ? 'no writable memory cgroup here' : 'cgroups are written only by a root portal' },
        cpu: this.cgroups.cpu
          ? { value: cpus, enforced: true, mechanism: `cgroup v${this.cgroups.cpu.version} cpu controller (CFS quota), per repl` }
          : { value: cpus, enforced: false, reason: perUid ? 'no writable cpu cgroup here' : 'cgroups are written only by a root portal' },
        disk: this.#volumeProblem
          ? { value: diskBytes, enforced: false, reason: this.#volumeProblem }
          : { value: diskBytes, enforced: true, mechanism: 'a loop-mounted ext4 volume per workspace (writes fail at the quota)' },
      },
    };
  }
}
