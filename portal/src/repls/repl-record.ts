import type { AppState, SyncStatus } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { newReplId } from '@codeyard/common/repl-id';
import type { RuntimeStatus } from '../runtime/runtime.js';
import type { Template } from '../templates/catalog.js';
import type { StackManifest } from '../templates/manifest.js';
import type { PortVisibility } from './preview-ports.js';

/** A repl as stored (a row of the `repls` table; before the database, `repls/<id>.json` in the store). */
export interface ReplRecord {
  id: string;
  name: string;
  stack: string;
  owner: string;
  createdAt: string;
  templateVersion: string;
  /** The stack manifest as it was when the repl was made: a later template change does not move it. */
  manifest: StackManifest;
  /** Preview ports whose visibility the owner set (default: only the manifest's port is public). */
  ports?: Record<string, PortVisibility>;
  /** The repl this one was forked from, or `import` for an uploaded archive. */
  origin?: { forkOf?: string; imported?: boolean };
  /** Never stopped for being idle; its app is kept running (restarted after crashes). Set by setAlwaysOn and grantAlwaysOn only. */
  alwaysOn?: boolean;
  /** Whose always-on allowance it uses: the owner's, or the teacher's whose class made it always on. */
  alwaysOnBy?: string;
  /**
   * Its own memory limit in MiB, a class's per-student limit (set when the class makes it); the
   * runtime takes the lower of this and the server's and stack's. None: theirs.
   */
  memoryMb?: number;
}

/** What GET /api/events streams to an account. */
export type ReplEvent = { type: 'repl'; repl: ReplView } | { type: 'deleted'; id: string };

/** A repl as the API shows it. */
export interface ReplView {
  id: string;
  name: string;
  stack: string;
  status: RuntimeStatus['state'];
  step?: string;
  error?: string;
  app: AppState;
  /** Whether the store has the workspace as it is (synced), is catching up, or cannot (degraded). */
  sync: SyncStatus | { state: 'stored'; pending: 0; lastSyncAt?: string };
  ideUrl: string;
  previewUrl: string;
  port: number;
  /** The app port and every port whose visibility was set. */
  ports: Array<{ port: number; visibility: PortVisibility; url: string }>;
  createdAt: string;
  /** The repl this one is a fork of. */
  forkOf?: string;
  /** Never stopped for being idle, its app kept running (see PATCH /api/repls/:id). */
  alwaysOn: boolean;
  /** Its place in line while it waits for room on a full server. */
  queue?: { position: number; of: number };
  /** What it uses, at the last reading (every few seconds), while it runs. */
  usage?: { memoryBytes: number; cpuPercent?: number };
  /** Its own memory limit in MiB (a class's per-student limit); absent: the server's and its stack's. */
  memoryLimitMb?: number;
}

/** A repl's name as given: 1 to 64 printable characters, trimmed. */
export function checkName(name: string): string {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (!trimmed || trimmed.length > 64 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new AppError('VALIDATION', 'name must be 1 to 64 printable characters');
  }
  return trimmed;
}

/** A new repl's record from a template, with a new id. */
export function newRecord(owner: string, template: Pick<Template, 'manifest' | 'version'>, name: string): ReplRecord {
  return {
    id: newReplId(),
    name: checkName(name),
    stack: template.manifest.id,
    owner,
    createdAt: new Date().toISOString(),
    templateVersion: template.version,
    manifest: template.manifest,
  };
}
