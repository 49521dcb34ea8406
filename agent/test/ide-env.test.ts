import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '@codeyard/common/agent/config';
import { ideEnv } from '../src/ide-env.js';

const base: AgentConfig = { replId: 'abcdefghijkl', workspace: '/w', controlSocket: '/run/codeyard/agent.sock', tunnelSocket: '/t', stateDir: '/s', app: { run: 'node index.js' }, maxFileBytes: 1 };

describe("code-server's environment", () => {
  it('adds where the Codeyard extension finds the agent and what it shows, leaving the app env alone', () => {
    const env = { PATH: '/usr/bin', PORT: '3000' };
    const ide = ideEnv({ ...base, info: { name: 'My repl', stack: 'node', port: 3000, previewUrl: 'http://r-3000.localhost:8080/' } }, env);
    assert.deepEqual(ide, {
      PATH: '/usr/bin',
      PORT: '3000',
      CODEYARD_AGENT_SOCKET: '/run/codeyard/agent.sock',
      CODEYARD_REPL_NAME: 'My repl',
      CODEYARD_STACK: 'node',
      CODEYARD_APP_PORT: '3000',
      CODEYARD_PREVIEW_URL: 'http://r-3000.localhost:8080/',
    });
    assert.deepEqual(env, { PATH: '/usr/bin', PORT: '3000' }, 'the app env is not changed');
  });

  it("adds the config's code-server variables (memory tuning), never over the agent's own", () => {
    const ide = ideEnv({ ...base, ide: { argv: ['cs'], logFile: '/l', settingsFile: '/s', settings: {}, env: { MALLOC_ARENA_MAX: '2', CODEYARD_AGENT_SOCKET: '/elsewhere' } } }, { PATH: '/usr/bin' });
    assert.deepEqual(ide, { PATH: '/usr/bin', MALLOC_ARENA_MAX: '2', CODEYARD_AGENT_SOCKET: '/run/codeyard/agent.sock' });
  });

  it('still gives the socket without repl info (an older portal)', () => {
    assert.deepEqual(ideEnv(base, {}), { CODEYARD_AGENT_SOCKET: '/run/codeyard/agent.sock' });
  });
});
