import fs from 'node:fs';
import path from 'node:path';
import { type Engine, inspectImage, runCommand } from './engine.js';
import { INPUTS_LABEL, inputsHash, isUpToDate } from './inputs.js';

/** The official Debian image the base is built from on a machine that can pull it. */
export const DEBIAN_IMAGE = 'docker.io/library/debian:bookworm-slim';
/** The image made locally from Debian's packages (mmdebstrap) when no registry is reachable. */
export const LOCAL_DEBIAN_IMAGE = 'localhost/codeyard-debian:bookworm';

/**
 * Where the Debian base comes from: `image` an existing image (pulled when missing), `packages`
 * made here from Debian's packages with mmdebstrap, `auto` the image when it is here or can be
 * pulled, else packages.
 */
export type DebianSource = 'auto' | 'image' | 'packages';

const MIRRORS = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/**
 * mmdebstrap's command line for a bookworm root close to the official slim image: minbase, no
 * manuals, docs (but copyrights) or translations, no apt lists left, apt sources for updates and
 * security (so later image steps install current packages). Plain-http mirrors: apt checks
 * signatures itself, and no TLS gateway is in the way.
 */
export function mmdebstrapArgs(tarFile: string): string[] {
  return [
    '--variant=minbase',
    '--include=ca-certificates',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-exclude=/usr/share/info/*',
    '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/apt "$1"/var/log/dpkg.log',
    'bookworm',
    tarFile,
    ...MIRRORS,
  ];
}

export interface DebianBaseOptions {
  engine: Engine;
  source: DebianSource;
  /** The official (or a mirror's) image for `image` and `auto`. */
  image: string;
  workDir: string;
  /** Make the local one again even when its recipe did not change (Debian's packages did). */
  rebuild: boolean;
  log: (line: string) => void;
}

/** The Debian image to build the base FROM, and its id (a stack of inputs of the base's hash). */
export async function ensureDebianBase(options: DebianBaseOptions): Promise<{ ref: string; id: string; made: 'found' | 'pulled' | 'built' | 'cached' }> {
  const { engine, log } = options;
  if (options.source !== 'packages') {
    const here = await inspectImage(engine, options.image);
    if (here) return { ref: options.image, id: here.id, made: 'found' };
    log(`pulling ${options.image}`);
    const pulled = await runCommand(engine.bin, ['pull', options.image], { timeoutMs: 5 * 60_000 }).then(
      () => true,
      (err: Error) => {
        if (options.source === 'image') throw new Error(`cannot pull ${options.image}: ${err.message.split('\n').slice(-3).join(' ')}`);
        log(`${options.image} cannot be pulled here: making the Debian base from Debian's packages instead (mmdebstrap)`);
        return false;
      },
    );
    const facts = pulled ? await inspectImage(engine, options.image) : undefined;
    if (facts) return { ref: options.image, id: facts.id, made: 'pulled' };
  }
  return makeFromPackages(options);
}

async function makeFromPackages(options: DebianBaseOptions): Promise<{ ref: string; id: string; made: 'built' | 'cached' }> {
  const { engine, log } = options;
  const tar = path.join(options.workDir, 'debian-bookworm.tar');
  const hash = inputsHash([['mmdebstrap', JSON.stringify(mmdebstrapArgs('<tar>'))]]);
  const existing = await inspectImage(engine, LOCAL_DEBIAN_IMAGE);
  if (existing && isUpToDate(existing.labels, hash) && !options.rebuild) return { ref: LOCAL_DEBIAN_IMAGE, id: existing.id, made: 'cached' };
  const have = await runCommand('mmdebstrap', ['--version'], { timeoutMs: 20_000 }).then(
    () => true,
    () => false,
  );
  if (!have) throw new Error('no Debian image can be pulled here, and mmdebstrap is not installed to make one from Debian\'s packages (Debian/Ubuntu: apt-get install mmdebstrap uidmap)');
  fs.mkdirSync(options.workDir, { recursive: true });
  fs.rmSync(tar, { force: true });
  log('making the Debian bookworm base from Debian\'s packages (mmdebstrap, about a minute)');
  try {
    await runCommand('mmdebstrap', mmdebstrapArgs(tar), { onLine: (line) => /^I: (downloading|installing|extracting|success)/.test(line) && log(line), logFile: path.join(options.workDir, 'mmdebstrap.log'), timeoutMs: 20 * 60_000 });
    await runCommand(engine.bin, ['import', '--change', 'CMD ["/bin/bash"]', '--change', `LABEL ${INPUTS_LABEL}=${hash}`, tar, LOCAL_DEBIAN_IMAGE], { timeoutMs: 10 * 60_000 });
  } finally {
    fs.rmSync(tar, { force: true });
  }
  const facts = await inspectImage(engine, LOCAL_DEBIAN_IMAGE);
  if (!facts) throw new Error(`${LOCAL_DEBIAN_IMAGE} was imported but the engine does not know it`);
  return { ref: LOCAL_DEBIAN_IMAGE, id: facts.id, made: 'built' };
}
