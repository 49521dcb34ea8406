import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './render.js';

/**
 * scripts/k8s-e2e.sh runs only against a real cluster; these machines have none. What can be
 * checked here is that it says so plainly and exits 0, instead of failing or pretending to pass.
 */

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts/k8s-e2e.sh');

/** A PATH holding only the named real tools, plus fake ones given as shell bodies. */
async function fakePath(real: string[], fakes: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cy-e2e-path-'));
  for (const tool of real) {
    const { stdout } = await run('sh', ['-c', `command -v ${tool}`]);
    await symlink(stdout.trim(), path.join(dir, tool));
  }
  for (const [tool, body] of Object.entries(fakes)) {
    await writeFile(path.join(dir, tool), `#!/bin/sh\n${body}\n`);
    await chmod(path.join(dir, tool), 0o755);
  }
  return dir;
}

const BASICS = ['bash', 'dirname', 'mktemp', 'rm', 'curl', 'node', 'cat'];

test('without helm the end-to-end script says it skipped, and why, and exits 0', async () => {
  const PATH = await fakePath(BASICS, { kubectl: 'exit 0' });
  const { stdout } = await run('bash', [SCRIPT], { env: { PATH, HOME: os.tmpdir() }, timeout: 30_000 });
  assert.match(stdout, /^k8s-e2e: SKIPPED: helm is not on PATH/m);
});

test('with helm and kubectl but no cluster answering it skips too, naming the kubeconfig it tried', async () => {
  // A kubectl that answers like one with no reachable API server; a helm that must never run.
  const PATH = await fakePath(BASICS, { kubectl: '[ "$1" = config ] && echo none; exit 1', helm: 'echo "helm must not run without a cluster" >&2; exit 99' });
  const { stdout } = await run('bash', [SCRIPT], { env: { PATH, HOME: os.tmpdir(), KUBECONFIG: '/nonexistent/kubeconfig' }, timeout: 30_000 });
  assert.match(stdout, /^k8s-e2e: SKIPPED: no Kubernetes cluster answers \(KUBECONFIG=\/nonexistent\/kubeconfig/m);
});
