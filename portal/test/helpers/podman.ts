import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { runCommand } from '../../src/images/engine.js';
import { imageRef } from '../../src/images/layout.js';
import { REPO_ROOT } from './test-portal.js';

/**
 * Podman for the image and pod tests. They run the images `npm run images` built (tag: the
 * package version) and reach pods only through ports published on 127.0.0.1 or `podman exec`,
 * never through podman's bridge addresses.
 */

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The tag of the images under test: `npm run images`'s default (the package version). */
export function testImageTag(): string {
  return process.env.CODEYARD_IMAGE_TAG ?? VERSION;
}

/** A stack's image as `npm run images` names it by default. */
export function testImage(stack: string): string {
  return imageRef(stack, { prefix: process.env.CODEYARD_IMAGE_PREFIX ?? 'localhost/', tag: testImageTag() });
}

/**
 * podman's environment: the machine's CONTAINERS_CONF, else the repository's (runc and fixed
 * ulimits, which hybrid-cgroup hosts such as Debian 12 need) when runc is installed.
 */
function podmanEnv(): NodeJS.ProcessEnv {
  if (process.env.CONTAINERS_CONF) return process.env;
  const runc = ['/usr/bin/runc', '/usr/sbin/runc', '/usr/local/bin/runc'].some((p) => fs.existsSync(p));
  return runc ? { ...process.env, CONTAINERS_CONF: path.join(REPO_ROOT, 'images', 'containers.conf') } : process.env;
}

/** Runs podman; resolves with its stdout. */
export function podman(args: string[], timeoutMs = 120_000): Promise<string> {
  return runCommand('podman', args, { env: podmanEnv(), timeoutMs });
}

let checked: Promise<string | undefined> | undefined;

/** Why podman cannot run containers here, or undefined when it can (checked once). */
export function podmanProblem(): Promise<string | undefined> {
  checked ??= podman(['run', '--rm', '--network', 'none', '--entrypoint', '/bin/true', testImage('base')], 60_000).then(
    () => undefined,
    async (err: Error) => {
      const version = await podman(['version', '--format', '{{.Client.Version}}'], 20_000).catch(() => undefined);
      if (!version) return 'podman is not installed (Debian: apt-get install podman runc uidmap)';
      if (/image not known|no such image|unable to find/i.test(err.message)) return `the image ${testImage('base')} is not built (npm run images)`;
      return `podman cannot run a container here: ${err.message.split('\n').slice(-2).join(' ')}`;
    },
  );
  return checked;
}

/**
 * Skips the test, saying why, when podman or the images are not there; with
 * CODEYARD_REQUIRE_PODMAN=1 (CI builds the images first) that is a failure instead.
 */
export async function needPodman(t: TestContext): Promise<boolean> {
  const problem = await podmanProblem();
  if (!problem) return true;
  if (process.env.CODEYARD_REQUIRE_PODMAN === '1') throw new Error(`CODEYARD_REQUIRE_PODMAN=1 but ${problem}`);
  process.stderr.write(`# podman tests skipped: ${problem}\n`);
  t.skip(problem);
  return false;
}

/** Runs a command in a throwaway container of `image`, as its own user (1000), with no network. */
export function runIn(image: string, script: string, timeoutMs = 120_000): Promise<string> {
  return podman(['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', image, '-c', script], timeoutMs);
}

/** Starts a Pod from its object (JSON is YAML) with `podman kube play` and the extra arguments given. */
export async function playPod(pod: object, args: string[] = []): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-kube-'));
  const file = path.join(dir, 'pod.yaml');
  try {
    fs.writeFileSync(file, JSON.stringify(pod, null, 2));
    await podman(['kube', 'play', ...args, file], 180_000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes a pod and everything of it (its containers, its anonymous volumes). */
export async function removePod(name: string): Promise<void> {
  await podman(['pod', 'rm', '--force', '--time', '5', name], 60_000).catch(() => undefined);
}

/** `podman exec` in a pod's container (kube play names it `<pod>-<container>`). */
export function execIn(pod: string, container: string, argv: string[], timeoutMs = 60_000): Promise<string> {
  return podman(['exec', `${pod}-${container}`, ...argv], timeoutMs);
}
