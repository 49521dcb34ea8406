import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../src/runtime/process/code-server-settings.js';
import { CODE_SERVER_VERSION, NODE_VERSION } from '../../src/runtime/process/code-server-provision.js';
import { IMAGE_LAYOUT } from '../../src/images/layout.js';
import { STACK_LABEL } from '../../src/images/inputs.js';
import { compareVersions, findVersion, parseManifest } from '../../src/templates/manifest.js';
import { eventually, freePort, request } from '../helpers/http.js';
import { needPodman, podman, runIn, testImage } from '../helpers/podman.js';
import { REPO_ROOT } from '../helpers/test-portal.js';

const templates = path.join(REPO_ROOT, 'templates');
const stacks = fs.readdirSync(templates).filter((name) => fs.existsSync(path.join(templates, name, 'repl.json'))).sort();

/**
 * The images `npm run images` built, run for real with podman: the base as a repl needs it
 * (user 1000, nothing setuid, no package caches, code-server and the agent where the runtime
 * looks, the Codeyard extension built in, the settings the process runtime uses), and each
 * stack's toolchain passing the check its template's repl.json names.
 */
describe('stack images', { timeout: 600_000 }, () => {
  it('the base runs as user 1000 with Node 24, code-server, the agent, the extension and the default settings', async (t) => {
    if (!(await needPodman(t))) return;
    const base = testImage('base');
    assert.deepEqual((await runIn(base, 'id -u; id -g; node --version; echo "$HOME $(pwd)"')).trim().split('\n'), ['1000', '1000', `v${NODE_VERSION}`, `${IMAGE_LAYOUT.home} ${IMAGE_LAYOUT.workspace}`]);
    const info = JSON.parse(await runIn(base, `cat ${IMAGE_LAYOUT.info}`)) as Record<string, string>;
    assert.equal(info.codeServerVersion, CODE_SERVER_VERSION);
    const installed = (await runIn(base, `node -p "require('${IMAGE_LAYOUT.codeServerDir}/node_modules/code-server/package.json').version"`)).trim();
    assert.equal(installed, CODE_SERVER_VERSION, 'code-server is the version the process runtime pins');
    const settings = JSON.parse(await runIn(base, `cat ${IMAGE_LAYOUT.settings}`)) as Record<string, unknown>;
    assert.deepEqual(settings, DEFAULT_SETTINGS, 'the image has the settings the process runtime gives its repls');
    // The TypeScript server's Node (the settings name it): the image's Node with the young-generation
    // limit and the idle collection preloaded, both files in the image.
    // Node lists the probe's own `-p <expression>` in execArgv too: only the `--` flags are compared.
    const tsserverNode = (await runIn(base, `CODEYARD_IDE_NODE=${IMAGE_LAYOUT.node} ${IMAGE_LAYOUT.tsserverNode} -p "process.execArgv.filter((a) => a.startsWith('--')).join(' ') + ' ' + Object.keys(require.cache).some((f) => f.endsWith('idle-gc.cjs'))"`)).trim();
    assert.equal(tsserverNode, `--max-semi-space-size=4 --require=${IMAGE_LAYOUT.idleGc} true`, 'the flags, and idle-gc.cjs loaded');
    // The agent bundle runs: without a config it says how to start it.
    const agent = await runIn(base, `node ${IMAGE_LAYOUT.agent} 2>&1; true`);
    assert.match(agent, /usage: codeyard-agent <config.json>/);
    const builtins = (await runIn(base, `ls ${IMAGE_LAYOUT.builtinExtensions}; node -p "require('${IMAGE_LAYOUT.builtinExtensions}/codeyard/package.json').name"`)).trim().split('\n');
    assert.equal(builtins.pop(), 'codeyard', 'the Codeyard extension is among the built-ins');
    assert.ok(builtins.includes('git') && builtins.length > 50, `code-server's own built-ins are linked too (${builtins.length})`);
    assert.ok(!builtins.includes('copilot'), 'the AI runtime a repl never loads is left out');
  });

  it('the base has no setuid or setgid file and no package manager caches', async (t) => {
    if (!(await needPodman(t))) return;
    const out = await runIn(testImage('base'), 'find / -xdev \\( -perm -4000 -o -perm -2000 \\) -type f 2>/dev/null; echo "--"; ls -A /var/lib/apt/lists /var/cache/apt/archives 2>/dev/null | grep -v -e "^partial$" -e "^lock$" -e ":$" -e "^$"; ls -A /root 2>/dev/null; echo end');
    const [setuid, caches] = out.split('--\n');
    assert.equal(setuid!.trim(), '', `setuid/setgid files: ${setuid}`);
    assert.equal(caches!.trim(), 'end', `package lists or caches left: ${caches}`);
  });

  it('the portal image serves the portal as uid 1000 on a read-only root', async (t) => {
    if (!(await needPodman(t))) return;
    const name = `cy-portal-test-${process.pid}`;
    const port = await freePort();
    // As the chart runs it: read-only root, no capabilities, a volume for /data; the process runtime
    // with no sandbox here (the chart's is kubernetes, which needs a cluster).
    await podman(['run', '--detach', '--rm', '--name', name, '--publish', `127.0.0.1:${port}:8080`, '--read-only', '--volume', '/data', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--env', 'CODEYARD_BIND=0.0.0.0', '--env', 'CODEYARD_SANDBOX=off', '--env', 'CODEYARD_WARM_POOL=0', testImage('portal')]);
    try {
      const health = await eventually(async () => {
        const reply = await request(port, { path: '/healthz', host: 'localhost:8080' }).catch(() => undefined);
        return reply?.status === 200 && reply;
      }, 'the portal image\'s /healthz', 60_000);
      assert.equal(health.json<{ ok: boolean }>().ok, true);
      assert.equal((await podman(['exec', name, 'id', '-u'])).trim(), '1000');
    } finally {
      await podman(['rm', '--force', '--volumes', name]).catch(() => undefined);
    }
  });

  for (const stack of stacks) {
    it(`${stack}: its toolchain passes the check in templates/${stack}/repl.json`, async (t) => {
      if (!(await needPodman(t))) return;
      const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(templates, stack, 'repl.json'), 'utf8')), `${stack}/repl.json`, stack);
      const image = testImage(stack);
      const labels = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config.Labels}}', image])) as Record<string, string>;
      assert.equal(labels[STACK_LABEL], stack);
      const toolchain = manifest.toolchain;
      // As the process runtime runs it: a shell, the check command, its output searched for a version.
      // A stack without one (static) runs on what the base image brings: the agent's Node.js.
      const check = toolchain?.check ?? 'node --version';
      const out = await runIn(image, `${check} 2>&1`);
      const version = findVersion(out);
      assert.ok(version, `${check} printed no version: ${out}`);
      if (toolchain) assert.ok(compareVersions(version, toolchain.minVersion ?? '0') >= 0, `${toolchain.name} ${version} is older than ${toolchain.minVersion}`);
      const setuid = await runIn(image, 'find / -xdev \\( -perm -4000 -o -perm -2000 \\) -type f 2>/dev/null; ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e "^partial$" -e "^lock$"; true');
      assert.equal(setuid.trim(), '', `${stack}: setuid files or package lists left: ${setuid}`);
    });
  }
});
