import fsp from 'node:fs/promises';
import type { ReplId } from '@codeyard/common/repl-id';
import { groupHasMarker, terminateGroup } from '@codeyard/common/process-group';
import type { ReplSpec } from '../runtime.js';
import { type CgroupSupport, createReplCgroups, removeReplCgroups } from './cgroups.js';
import type { HostCapabilities } from './host-capabilities.js';
import { readPids, removeReplFolders, type ReplDirs, warmDirs, warmRoot } from './repl-folders.js';
import type { SandboxLauncher } from './sandbox-launch.js';
import { INSTANCE_MARKER, type ProcessSandbox, type SandboxSpawner } from './sandbox-spawn.js';
import { readUid } from './uid-allocator.js';

/**
 * What a portal finds of repl `id` left by an earlier one: its sandbox, adopted, when it still
 * runs whole (its processes carry the recorded instance marker, agent and IDE answer) and the
 * repl still exists; otherwise whatever is left of it is ended (files stay) and undefined answered.
 */
export async function adoptLeft(id: ReplId, dirs: ReplDirs, spec: ReplSpec | undefined, deps: { caps: HostCapabilities; launcher: SandboxLauncher; spawner: SandboxSpawner }): Promise<ProcessSandbox | undefined> {
  const pids = await readPids(dirs);
  const ours = !!pids && groupHasMarker(pids.agentPid, `${INSTANCE_MARKER}=${pids.instance}`);
  // Files of older versions name no sandbox: its cgroups were named by the repl.
  const sandboxId = pids?.sandbox ?? id;
  if (spec && pids && ours && (await deps.launcher.healthy(dirs))) {
    const uid = deps.caps.switchesUid ? await readUid(dirs.uidFile) : undefined;
    const env = deps.spawner.replEnv(id, dirs, spec.manifest.port, pids.instance);
    const cgroupProcs = createReplCgroups(deps.caps.cgroups, sandboxId, deps.launcher.limits(spec.manifest, spec));
    const sandbox: ProcessSandbox = { id: sandboxId, manifest: spec.manifest, spec, dirs, uid, instance: pids.instance, env, cgroupProcs, agentPid: pids.agentPid, restarts: [] };
    await deps.launcher.reopenRelay(sandbox);
    // Restarting an adopted sandbox later needs to know where code-server and its Node are.
    await deps.spawner.knowCodeServer();
    return sandbox;
  }
  if (pids && ours) await terminateGroup(pids.agentPid, 3000);
  removeReplCgroups(deps.caps.cgroups, sandboxId);
  await fsp.rm(dirs.pidsFile, { force: true });
  return undefined;
}

/** Ends the warm sandboxes an earlier portal left (they belong to no repl) and removes their folders. */
export async function endLeftWarm(rootDir: string, cgroups: CgroupSupport): Promise<void> {
  for (const name of await fsp.readdir(warmRoot(rootDir)).catch(() => [])) {
    if (!/^[a-z0-9]+$/.test(name)) continue;
    const dirs = warmDirs(rootDir, name);
    const pids = await readPids(dirs);
    if (pids && groupHasMarker(pids.agentPid, `${INSTANCE_MARKER}=${pids.instance}`)) await terminateGroup(pids.agentPid, 3000);
    removeReplCgroups(cgroups, pids?.sandbox ?? name);
    await removeReplFolders(dirs);
  }
}
