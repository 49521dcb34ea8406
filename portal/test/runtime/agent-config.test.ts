import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentConfig } from '@codeyard/common/agent/config';
import { newReplId } from '@codeyard/common/repl-id';
import { type AgentConfigInput, buildAgentConfig } from '../../src/runtime/agent-config.js';
import type { StackManifest } from '../../src/templates/manifest.js';

const manifest: StackManifest = {
  id: 'node',
  name: 'Node.js',
  description: 'a stack',
  icon: 'icon.svg',
  main: 'index.js',
  run: 'node index.js',
  install: 'npm install',
  installCreates: 'node_modules',
  port: 3000,
  toolchain: { name: 'node', check: 'node --version', installHint: 'install Node.js' },
};

const repl: AgentConfigInput = {
  replId: newReplId(),
  manifest,
  info: { name: 'My repl', stack: 'node', port: 3000, previewUrl: 'http://x-3000.localhost/' },
  paths: { home: '/home/user', workspace: '/workspace', run: '/run/codeyard', state: '/var/lib/codeyard', store: '/run/codeyard-store' },
  sync: { debounceMs: 3000, scanIntervalMs: 30_000 },
  maxFileBytes: 16 * 1024 * 1024,
  ownPidNamespace: true,
  listenFds: { control: 3, tunnel: 4, ide: 5 },
  egress: { socket: '/run/codeyard-egress/egress.sock', port: 43128 },
  ide: { argv: ['/opt/code-server/bin/code-server', '--socket', '/run/codeyard/ide.sock'], settings: { 'workbench.startupEditor': 'none' }, env: { MALLOC_ARENA_MAX: '2' } },
};

describe("the agent config the runtime writes (the agent's checker is the judge)", () => {
  const kinds: [string, AgentConfigInput][] = [
    ['a repl', repl],
    // A warm sandbox is named by its own id (12 hex digits) until a repl takes it.
    ['a warm sandbox', { ...repl, replId: '0123456789ab', info: undefined, pooled: true }],
    ['a one-off save', { ...repl, listenFds: undefined, ide: undefined }],
  ];
  for (const [what, input] of kinds) {
    it(`is accepted as written for ${what}`, () => {
      const written = JSON.parse(JSON.stringify(buildAgentConfig(input))) as unknown;
      assert.deepEqual(parseAgentConfig(written), written);
    });
  }

  it("refuses code-server variables that are not strings, naming the field", () => {
    const written = JSON.parse(JSON.stringify(buildAgentConfig(repl))) as { ide: { env: unknown } };
    written.ide.env = { MALLOC_ARENA_MAX: 2 };
    assert.throws(() => parseAgentConfig(written), /ide\.env.*an object of strings/);
  });

  it('gives a warm sandbox no sync until it is activated', () => {
    const warm = buildAgentConfig({ ...repl, replId: '0123456789ab', pooled: true });
    assert.equal(warm.sync, undefined);
    assert.equal(warm.pooled, true);
  });
});
