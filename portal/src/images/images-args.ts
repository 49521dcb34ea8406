import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '@codeyard/common/errors';
import { DEBIAN_IMAGE, type DebianSource } from './debian-base.js';
import type { Engine } from './engine.js';
import { DEFAULT_IMAGE_PREFIX, prefixProblem, tagProblem } from './layout.js';

export const USAGE = `npm run images -- [options]

Builds codeyard-base and one image per stack (<prefix>codeyard-<stack>:<tag>) with podman or
docker, skipping each image whose inputs did not change, and prints their sizes.

  --engine podman|docker   the engine (default: podman when it runs, else docker with a daemon)
  --prefix P               name prefix ending in / or - (default ${DEFAULT_IMAGE_PREFIX})
  --tag T                  tag (default: the package version)
  --stacks a,b             only these stacks (default: every folder of templates/)
  --no-portal              not the portal's image (codeyard-portal, which the Helm chart runs)
  --ca-bundle FILE         a CA bundle the build's HTTPS steps trust too (a TLS-inspecting
                           gateway's); given as a build secret, never written into an image
  --debian auto|image|packages
                           where Debian comes from: the official image (pulled when missing),
                           Debian's packages made into an image here (mmdebstrap, for machines
                           that reach no image registry), or auto: the image, else packages
  --debian-image REF       the Debian image for image/auto (default ${DEBIAN_IMAGE})
  --rebuild                build everything again, without any cache
  --work-dir DIR           downloads, build context and logs (default images/.build)`;

/** The checked options, or a message naming what is wrong. */
export function parseImagesArgs(argv: string[], defaults: { tag: string; stacks: string[] }): { help: true } | { help: false; engine?: Engine['name']; prefix: string; tag: string; stacks: string[]; portal: boolean; caBundle?: string; debian: DebianSource; debianImage: string; rebuild: boolean; workDir?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: 'string' },
      prefix: { type: 'string', default: DEFAULT_IMAGE_PREFIX },
      tag: { type: 'string', default: defaults.tag },
      stacks: { type: 'string' },
      'ca-bundle': { type: 'string' },
      debian: { type: 'string', default: 'auto' },
      'debian-image': { type: 'string', default: DEBIAN_IMAGE },
      rebuild: { type: 'boolean', default: false },
      'no-portal': { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { help: true };
  if (values.engine !== undefined && values.engine !== 'podman' && values.engine !== 'docker') throw new Error(`--engine must be podman or docker, not "${values.engine}"`);
  const problem = prefixProblem(values.prefix) ?? tagProblem(values.tag);
  if (problem) throw new Error(problem);
  if (!['auto', 'image', 'packages'].includes(values.debian)) throw new Error(`--debian must be auto, image or packages, not "${values.debian}"`);
  const stacks = values.stacks === undefined ? defaults.stacks : values.stacks.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = stacks.filter((s) => !defaults.stacks.includes(s));
  if (unknown.length) throw new Error(`--stacks: no template for ${unknown.join(', ')} (there are ${defaults.stacks.join(', ')})`);
  if (values['ca-bundle'] !== undefined) {
    const file = values['ca-bundle'];
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`--ca-bundle ${file}: ${describeError(err)}`);
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--ca-bundle ${file}: holds no PEM certificate`);
  }
  return {
    help: false,
    engine: values.engine,
    prefix: values.prefix,
    tag: values.tag,
    stacks,
    portal: !values['no-portal'],
    caBundle: values['ca-bundle'] && path.resolve(values['ca-bundle']),
    debian: values.debian as DebianSource,
    debianImage: values['debian-image'],
    rebuild: values.rebuild,
    workDir: values['work-dir'],
  };
}

/** The stacks: every folder of templates/ with a repl.json. */
export function templateStacks(root: string): string[] {
  const dir = path.join(root, 'templates');
  return fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'repl.json'))).sort();
}

