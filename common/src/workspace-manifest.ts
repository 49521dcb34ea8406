import { AppError } from './errors.js';
import { checkRelativePath } from './paths.js';

/**
 * How a workspace is kept in the object store:
 *
 *   workspaces/<id>/manifest.json    every path with its type, size, mode and content hash
 *   workspaces/<id>/blobs/<sha256>   file contents, named by their SHA-256 (also in metadata)
 *
 * The manifest is the only way in: a writer uploads new blobs first and replaces the manifest
 * last (one PUT, atomic in S3 and in the fs driver), and removes blobs only once no manifest
 * names them. A writer that dies part-way therefore leaves the previous version whole. Blobs
 * no manifest names yet are kept for a grace period (their manifest may be on its way) and
 * count against the workspace quota meanwhile (portal/src/store/blob-ledger.ts).
 */
export interface WorkspaceManifest {
  format: 1;
  /** Goes up by one with every write; a writer names the version it started from. */
  version: number;
  savedAt: string;
  entries: Record<string, ManifestEntry>;
}

export type ManifestEntry =
  | { type: 'file'; size: number; hash: string; executable?: boolean; mtimeMs?: number }
  | { type: 'dir' }
  | { type: 'link'; target: string };

export const EMPTY_MANIFEST: WorkspaceManifest = { format: 1, version: 0, savedAt: new Date(0).toISOString(), entries: {} };

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

export function manifestKey(prefix: string): string {
  return `${prefix}manifest.json`;
}

export function blobPrefix(prefix: string): string {
  return `${prefix}blobs/`;
}

export function blobKey(prefix: string, hash: string): string {
  if (!HASH_PATTERN.test(hash)) throw new AppError('VALIDATION', `not a SHA-256 content hash: ${JSON.stringify(hash)}`);
  return `${prefix}blobs/${hash}`;
}

/** The distinct blob hashes a manifest names. */
export function manifestHashes(manifest: WorkspaceManifest): Set<string> {
  const hashes = new Set<string>();
  for (const entry of Object.values(manifest.entries)) if (entry.type === 'file') hashes.add(entry.hash);
  return hashes;
}

/** Total bytes of the files a manifest names (what the workspace quota counts). */
export function manifestBytes(manifest: WorkspaceManifest): number {
  let total = 0;
  for (const entry of Object.values(manifest.entries)) if (entry.type === 'file') total += entry.size;
  return total;
}

/**
 * Checks a manifest from an untrusted writer (the repl's agent runs as the repl's user): every
 * path relative and clean, every parent a directory entry or implied, every hash well formed.
 * Answers the manifest with its paths in canonical form.
 */
export function parseWorkspaceManifest(raw: unknown, where = 'manifest'): WorkspaceManifest {
  const fail = (message: string): never => {
    throw new AppError('VALIDATION', `${where}: ${message}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail('not an object');
  const m = raw as Partial<WorkspaceManifest>;
  if (m.format !== 1) fail(`unknown format ${JSON.stringify(m.format)} (expected 1)`);
  if (!Number.isSafeInteger(m.version) || m.version! < 0) fail('version must be a whole number');
  if (typeof m.entries !== 'object' || m.entries === null) fail('entries must be an object');
  const entries: Record<string, ManifestEntry> = {};
  for (const [rawPath, rawEntry] of Object.entries(m.entries!)) {
    const rel = checkRelativePath(rawPath, `${where} path`);
    const e = rawEntry as Partial<ManifestEntry> & Record<string, unknown>;
    if (e?.type === 'file') {
      if (!Number.isSafeInteger(e.size) || (e.size as number) < 0) fail(`${rel}: size must be a whole number`);
      if (typeof e.hash !== 'string' || !HASH_PATTERN.test(e.hash)) fail(`${rel}: hash must be a SHA-256 hex string`);
      entries[rel] = {
        type: 'file',
        size: e.size as number,
        hash: e.hash as string,
        ...(e.executable === true ? { executable: true } : {}),
        ...(typeof e.mtimeMs === 'number' && Number.isFinite(e.mtimeMs) ? { mtimeMs: e.mtimeMs } : {}),
      };
    } else if (e?.type === 'dir') {
      entries[rel] = { type: 'dir' };
    } else if (e?.type === 'link') {
      if (typeof e.target !== 'string' || e.target === '' || e.target.includes('\0') || e.target.length > 4096) fail(`${rel}: link target must be a non-empty string`);
      entries[rel] = { type: 'link', target: e.target as string };
    } else {
      fail(`${rel}: type must be file, dir or link`);
    }
  }
  for (const rel of Object.keys(entries)) {
    // A path under a file or a link would make the tree ambiguous on restore.
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
      const parent = entries[rel.slice(0, i)];
      if (parent && parent.type !== 'dir') fail(`${rel}: its parent ${rel.slice(0, i)} is a ${parent.type}, not a directory`);
    }
  }
  return { format: 1, version: m.version!, savedAt: typeof m.savedAt === 'string' ? m.savedAt : new Date(0).toISOString(), entries };
}
