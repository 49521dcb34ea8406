import fs from 'node:fs';
import path from 'node:path';
import { describeError } from '@codeyard/common/errors';
import { buildImages, formatReport } from './build-images.js';
import { repoRoot } from './context.js';
import { detectEngine } from './engine.js';
import { parseImagesArgs, templateStacks, USAGE } from './images-args.js';

/** `npm run images`: see USAGE. */
async function main(): Promise<void> {
  const root = repoRoot();
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const options = parseImagesArgs(process.argv.slice(2), { tag: version, stacks: templateStacks(root) });
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const engine = await detectEngine(options.engine);
  if (!engine) throw new Error(options.engine ? `${options.engine} does not run here` : 'neither podman nor docker (with a running daemon) is here: install one (Debian/Ubuntu: apt-get install podman)');
  const started = Date.now();
  const log = (line: string): void => void process.stderr.write(`[images ${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
  log(`engine: ${engine.name}${process.env.CONTAINERS_CONF ? ` (CONTAINERS_CONF=${process.env.CONTAINERS_CONF})` : ''}`);
  const reports = await buildImages({
    engine,
    naming: { prefix: options.prefix, tag: options.tag },
    stacks: options.stacks,
    portal: options.portal,
    caBundle: options.caBundle,
    debian: { source: options.debian, image: options.debianImage },
    rebuild: options.rebuild,
    root,
    workDir: path.resolve(options.workDir ?? path.join(root, 'images/.build')),
    codeyardVersion: version,
    log,
  });
  process.stdout.write(`${formatReport(reports)}\ntotal ${Math.round((Date.now() - started) / 1000)} s\n`);
}

main().catch((err: unknown) => {
  const message = describeError(err);
  process.stderr.write(`[images] ${message}\n`);
  // The machine-specific failure has a known fix: say it.
  if (/setting rlimit|crun|cgroup/i.test(message)) process.stderr.write('[images] on hosts with hybrid cgroups (Debian 12), run with CONTAINERS_CONF=images/containers.conf (runc and fixed ulimits; see shared/MACHINE.md)\n');
  process.exit(1);
});
