import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { uncoveredPaths } from '@codeyard/agent/sync/coverage';
import { OFFLINE_SAVE_RESULT_FILE, type OfflineSaveResult, readOfflineSaveResult } from '@codeyard/common/agent/offline-save';
import { groupExists, terminateGroup } from '@codeyard/common/process-group';
import type { WorkspaceStore } from '../../store/workspace-store.js';
import type { ReplSpec } from '../runtime.js';
import type { Logger } from './options.js';
import { releasePrivate, type ReplDirs } from './repl-folders.js';
import { closeRelay, FLUSH_TIMEOUT_MS, newSandboxId, type SandboxLauncher } from './sandbox-launch.js';
import { releaseVolume } from './workspace-volume.js';

/**
 * Saves a workspace left on disk (a portal that died, a stop that could not save) without
 * starting the repl: its agent runs once in the sandbox, syncs, reports a typed result (its
 * error, or the version, files and bytes saved) and exits. Even when it reports success, the
 * store must then hold every file as it is on disk; only then is the local copy dropped.
 */
export async function saveOffline(launcher: SandboxLauncher, workspaces: WorkspaceStore, spec: ReplSpec, dirs: ReplDirs, log: Logger): Promise<void> {
  const resultFile = path.join(dirs.state, OFFLINE_SAVE_RESULT_FILE);
  // The state folder is the repl's: rm never follows a link; an earlier run's result must not count.
  await fsp.rm(resultFile, { force: true });
  const sandbox = await launcher.launch({ kind: 'save', sandboxId: newSandboxId(), spec, dirs });
  let result: OfflineSaveResult;
  try {
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    while (groupExists(sandbox.agentPid) && Date.now() < deadline) await sleep(100);
    if (groupExists(sandbox.agentPid)) await terminateGroup(sandbox.agentPid, 2000);
    result = await readOfflineSaveResult(resultFile);
  } finally {
    await closeRelay(sandbox.relay);
  }
  if (!result.ok) throw new Error(`${result.error}; see ${dirs.state}/agent-sync.log`);
  const missing = await uncovered(workspaces, spec, dirs);
  if (missing.length) throw new Error(`the store does not hold ${missing.join('; ')}; see ${dirs.state}/agent-sync.log`);
  log.info({ replId: spec.id, version: result.version, files: result.files, bytes: result.bytes }, 'workspace left on disk saved');
  await dropLocal(dirs);
  await releasePrivate(dirs);
}

/** Paths on disk the stored manifest does not hold as they are (empty: safe to drop the copy). */
export async function uncovered(workspaces: WorkspaceStore, spec: ReplSpec, dirs: ReplDirs): Promise<string[]> {
  if (!fs.existsSync(dirs.workspace)) return [];
  return uncoveredPaths(dirs.workspace, await workspaces.manifest(spec.workspacePrefix));
}

/** Removes the local copy of a workspace the store now holds in full. */
export async function dropLocal(dirs: ReplDirs): Promise<void> {
  await releaseVolume(dirs.volume, dirs.workspace);
  await fsp.rm(dirs.workspace, { recursive: true, force: true });
  // The agent's record of that copy goes with it (the state folder is the repl's: rm never follows links).
  for (const name of ['sync-state.json', 'restore-incomplete']) await fsp.rm(path.join(dirs.state, name), { force: true });
}
