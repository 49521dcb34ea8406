import fs from 'node:fs';
import path from 'node:path';

/** The npm workspaces whose built code the portal image runs. */
const WORKSPACES = ['common', 'agent', 'proxy', 'portal', 'vscode-extension'];

/** Built files the portal image does not need: tests, benches, TypeScript's build info, the VSIX. */
function wanted(relative: string): boolean {
  const parts = relative.split(path.sep);
  if (parts.includes('test') || parts.includes('bench')) return false;
  return !relative.endsWith('.tsbuildinfo') && !relative.endsWith('.vsix') && !relative.endsWith('.map');
}

/** Copies a folder's wanted files into `target`, recording each (by its context path) in `files`. */
function copyTree(source: string, target: string, contextName: string, files: Map<string, Buffer>, filter: (relative: string) => boolean): void {
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(source, full);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && filter(relative)) {
        const content = fs.readFileSync(full);
        const out = path.join(target, relative);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, content);
        files.set(`${contextName}/${relative.split(path.sep).join('/')}`, content);
      }
    }
  };
  walk(source);
}

/**
 * The portal image's `app/` in the build context: the root and workspace package files (so
 * `npm ci --omit=dev` installs exactly the locked production dependencies), each workspace's
 * built `dist/` without tests, and the templates. Made fresh each run; answers its file names.
 */
export function preparePortalContext(root: string, contextDir: string, files: Map<string, Buffer>): string[] {
  const app = path.join(contextDir, 'app');
  fs.rmSync(app, { recursive: true, force: true });
  const before = new Set(files.keys());
  const copyFile = (relative: string): void => {
    const content = fs.readFileSync(path.join(root, relative));
    fs.mkdirSync(path.dirname(path.join(app, relative)), { recursive: true });
    fs.writeFileSync(path.join(app, relative), content);
    files.set(`app/${relative}`, content);
  };
  copyFile('package.json');
  copyFile('package-lock.json');
  for (const ws of WORKSPACES) {
    copyFile(`${ws}/package.json`);
    const dist = path.join(root, ws, 'dist');
    if (ws === 'vscode-extension') continue;
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
    copyTree(dist, path.join(app, ws, 'dist'), `app/${ws}/dist`, files, wanted);
  }
  copyTree(path.join(root, 'templates'), path.join(app, 'templates'), 'app/templates', files, () => true);
  return [...files.keys()].filter((name) => !before.has(name));
}
