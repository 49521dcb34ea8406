import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '../store/object-store.js';
import { WorkspaceStore } from '../store/workspace-store.js';
import { ManifestError, parseManifest, type StackManifest } from './manifest.js';

/** A template folder read from disk: its manifest and its starter files. */
export interface Template {
  manifest: StackManifest;
  dir: string;
  /** Workspace-relative paths of the starter files (not repl.json, not the icon). */
  files: string[];
  /** Content hash of the starter files and manifest; names the copy in the store. */
  version: string;
}

/**
 * Where template `stack` at `version` keeps its starter files in the store: a workspace like
 * any repl's (manifest + blobs), so a new repl is a server-side copy of it.
 */
export function templatePrefix(stack: string, version: string): string {
  return `templates/${stack}/${version}/workspace/`;
}

async function walkFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'target') continue;
      out.push(...(await walkFiles(root, child)));
    } else if (entry.isFile()) {
      out.push(child);
    }
  }
  return out;
}

/**
 * Reads every `templates/<stack>/repl.json` and its files. A broken manifest throws a
 * ManifestError naming the file and the field; the portal does not start half-configured.
 */
export async function loadTemplates(templatesDir: string): Promise<Template[]> {
  let names: string[];
  try {
    names = (await fs.readdir(templatesDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (err) {
    throw new ManifestError(`cannot read the templates folder ${templatesDir}: ${(err as Error).message}`);
  }
  const templates: Template[] = [];
  for (const name of names) {
    const dir = path.join(templatesDir, name);
    const manifestFile = path.join(dir, 'repl.json');
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    } catch (err) {
      throw new ManifestError(`${manifestFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(err as Error).message})`}`);
    }
    const manifest = parseManifest(raw, manifestFile, name);
    const all = await walkFiles(dir);
    if (!all.includes(manifest.icon)) throw new ManifestError(`${manifestFile}: "icon" names ${manifest.icon}, which is not in ${dir}`);
    const files = all.filter((f) => f !== 'repl.json' && f !== manifest.icon);
    if (!files.includes(manifest.main)) throw new ManifestError(`${manifestFile}: "main" names ${manifest.main}, which is not among the starter files`);
    // The store layout is part of the version: a layout change seeds every template afresh.
    const hash = createHash('sha256').update('workspace-layout-1\0').update(JSON.stringify(manifest));
    for (const file of files) {
      const stat = await fs.stat(path.join(dir, file));
      hash.update(`\0${file}\0${stat.mode & 0o111 ? 'x' : '-'}\0`).update(await fs.readFile(path.join(dir, file)));
    }
    templates.push({ manifest, dir, files, version: hash.digest('hex').slice(0, 16) });
  }
  if (templates.length === 0) throw new ManifestError(`no templates (folders with a repl.json) in ${templatesDir}`);
  return templates;
}

/**
 * Puts each template's files into the store under its content hash. Idempotent: a version
 * whose `manifest.json` (written last) is there already is skipped, so restarts cost a head().
 */
export async function seedTemplates(store: ObjectStore, templates: readonly Template[]): Promise<{ seeded: string[]; present: string[] }> {
  const seeded: string[] = [];
  const present: string[] = [];
  for (const t of templates) {
    const marker = `templates/${t.manifest.id}/${t.version}/manifest.json`;
    if (await store.head(marker)) {
      present.push(t.manifest.id);
      continue;
    }
    const items = [];
    for (const file of t.files) {
      const full = path.join(t.dir, file);
      const stat = await fs.stat(full);
      items.push({ path: file, type: 'file' as const, body: await fs.readFile(full), executable: (stat.mode & 0o111) !== 0 });
    }
    await new WorkspaceStore(store).create(templatePrefix(t.manifest.id, t.version), items, Infinity);
    await store.put(marker, JSON.stringify(t.manifest, null, 2));
    seeded.push(t.manifest.id);
  }
  return { seeded, present };
}
