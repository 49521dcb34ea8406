import fs from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_VERSION, NODE_PACKAGE, NODE_VERSION } from '../runtime/process/code-server-provision.js';
import { runCommand } from './engine.js';
import type { BuildInput } from './inputs.js';
import type { ImageInfo } from './layout.js';

/** The npm the node and react images carry (an npm registry tarball, like Node itself). */
export const NPM_VERSION = '11.19.1';

/** The repository's root, from this module's place in portal/dist/src/images/. */
export function repoRoot(): string {
  return path.resolve(import.meta.dirname, '../../../..');
}

export interface BuildContext {
  /** The folder the engine builds from. */
  dir: string;
  /** Each file in it and its content, for the inputs hash. */
  files: Map<string, Buffer>;
}

/** A package's tarball from the npm registry, downloaded once into `downloads`. */
async function npmTarball(spec: string, file: string, downloads: string, log: (line: string) => void): Promise<string> {
  const target = path.join(downloads, file);
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(downloads, { recursive: true });
  log(`downloading ${spec} from the npm registry`);
  const out = await runCommand('npm', ['pack', spec, '--pack-destination', downloads, '--silent'], { timeoutMs: 10 * 60_000 });
  const packed = path.join(downloads, out.trim().split('\n').pop() ?? '');
  if (!fs.existsSync(packed)) throw new Error(`npm pack ${spec} did not leave ${packed}`);
  if (packed !== target) fs.renameSync(packed, target);
  return target;
}

function need(file: string, hint: string): string {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${hint}`);
  return file;
}

/**
 * Puts everything the Containerfiles take into one folder: Node and npm (registry tarballs),
 * the agent bundle, the extension's VSIX, the IDE preparation script (bundled here from the
 * process runtime's own code), image.json and the image scripts.
 */
export async function prepareContext(options: { root: string; workDir: string; codeyardVersion: string; log: (line: string) => void }): Promise<BuildContext> {
  const { root, workDir, log } = options;
  const dir = path.join(workDir, 'context');
  fs.mkdirSync(dir, { recursive: true });
  const downloads = path.join(workDir, 'downloads');
  const sources: Record<string, string> = {
    'node.tgz': await npmTarball(`${NODE_PACKAGE}@${NODE_VERSION}`, `${NODE_PACKAGE}-${NODE_VERSION}.tgz`, downloads, log),
    'npm.tgz': await npmTarball(`npm@${NPM_VERSION}`, `npm-${NPM_VERSION}.tgz`, downloads, log),
    'codeyard-agent.cjs': need(path.join(root, 'agent/dist/codeyard-agent.cjs'), 'run npm run build first'),
    // code-server's processes preload it; the TypeScript server's Node (see code-server-settings.ts).
    'idle-gc.cjs': need(path.join(root, 'agent/dist/idle-gc.cjs'), 'run npm run build first'),
    'tsserver-node': need(path.join(root, 'agent/dist/tsserver-node'), 'run npm run build first'),
    'codeyard.vsix': need(path.join(root, 'vscode-extension/dist/codeyard.vsix'), 'run npm run build first'),
    'clean-image.sh': path.join(root, 'images/clean-image.sh'),
    'stack-packages.sh': path.join(root, 'images/stack-packages.sh'),
  };
  const files = new Map<string, Buffer>();
  for (const [name, source] of Object.entries(sources)) {
    const content = fs.readFileSync(source);
    files.set(name, content);
    const target = path.join(dir, name);
    // Rewritten only when changed: a 100 MB copy per run is needless.
    const same = fs.existsSync(target) && fs.statSync(target).size === content.length && fs.readFileSync(target).equals(content);
    if (!same) fs.writeFileSync(target, content);
    // COPY keeps a file's mode: the one command in here must stay executable.
    fs.chmodSync(target, name === 'tsserver-node' ? 0o755 : 0o644);
  }
  const prepareIde = path.join(dir, 'prepare-ide.cjs');
  // esbuild is the agent's and the extension's bundler, hoisted to the root node_modules (the
  // portal cannot declare it too: vite 8 asks for a newer peer range).
  const { build } = await import('esbuild');
  await build({ entryPoints: [need(path.join(root, 'portal/dist/src/images/prepare-ide.js'), 'run npm run build first')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: prepareIde, logLevel: 'warning' });
  files.set('prepare-ide.cjs', fs.readFileSync(prepareIde));
  const info: ImageInfo = { codeyardVersion: options.codeyardVersion, codeServerVersion: CODE_SERVER_VERSION, nodeVersion: NODE_VERSION };
  const infoJson = Buffer.from(`${JSON.stringify(info, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'image.json'), infoJson);
  files.set('image.json', infoJson);
  return { dir, files };
}

/** The inputs of one image: its Containerfile, the context files it uses, its build arguments. */
export function imageInputs(context: BuildContext, containerfile: string, used: readonly string[], buildArgs: Record<string, string>): BuildInput[] {
  const inputs: BuildInput[] = [['Containerfile', fs.readFileSync(containerfile)]];
  for (const name of used) {
    const content = context.files.get(name);
    if (!content) throw new Error(`the build context has no ${name}`);
    inputs.push([`file:${name}`, content]);
  }
  for (const [name, value] of Object.entries(buildArgs)) inputs.push([`arg:${name}`, value]);
  return inputs;
}
