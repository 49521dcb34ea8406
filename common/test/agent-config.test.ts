import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type AgentConfig, parseActivateRequest, readAgentConfig } from '../src/agent/config.js';
import { AppError } from '../src/errors.js';

/** A config as the process runtime writes it (every field). */
const full: AgentConfig = {
  replId: 'abcdefghijkl',
  workspace: '/workspace',
  controlSocket: '/run/codeyard/agent.sock',
  tunnelSocket: '/run/codeyard/tunnel.sock',
  listenFds: { control: 3, tunnel: 4, ide: 5 },
  stateDir: '/state',
  app: { run: 'node index.js', install: 'npm install', installCreates: 'node_modules' },
  maxFileBytes: 1024,
  ide: { argv: ['code-server', '--socket', '/run/ide.sock'], logFile: '/state/code-server.log', settingsFile: '/home/settings.json', settings: { 'editor.fontSize': 14 }, socket: '/run/ide.sock' },
  sync: { socket: '/store/store.sock', debounceMs: 100, scanIntervalMs: 1000 },
  egress: { socket: '/egress/egress.sock', port: 3128 },
  info: { name: 'My repl', stack: 'node', port: 3000, previewUrl: 'http://abcdefghijkl-3000.localhost/', portalUrl: 'http://localhost/', classroom: 'Intro to JS' },
  ownPidNamespace: true,
};

function writeConfig(content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-agent-config-')), 'agent.json');
  fs.writeFileSync(file, content);
  return file;
}

describe('the agent config file', () => {
  it('reads back exactly what the runtime wrote, and fills the file size limit when absent', () => {
    assert.deepEqual(readAgentConfig(writeConfig(JSON.stringify(full))), full);
    const minimal = { replId: 'abcdefghijkl', workspace: '/w', controlSocket: '/c', tunnelSocket: '/t', stateDir: '/s', app: { run: 'true' } };
    assert.equal(readAgentConfig(writeConfig(JSON.stringify(minimal))).maxFileBytes, 16 * 1024 * 1024);
  });

  const refused: [string, unknown, RegExp][] = [
    ['a missing workspace', { ...full, workspace: undefined }, /workspace must be a non-empty string/],
    ['a repl id that is not one', { ...full, replId: '../etc' }, /replId must be a repl id/],
    ['an app without its command', { ...full, app: { install: 'npm i' } }, /app\.run must be a non-empty string/],
    ['a port out of range', { ...full, info: { ...full.info, port: 70000 } }, /info\.port must be a whole number from 0 to 65535/],
    // The IDE opens it in the user's browser: only the portal's http(s) origin will do.
    ['a portal URL that is not an origin', { ...full, info: { ...full.info, portalUrl: 'javascript:alert(1)//' } }, /info\.portalUrl must be the portal's http/],
    ['a class name that is not a string', { ...full, info: { ...full.info, classroom: 7 } }, /info\.classroom must be a string/],
    ['a string where a number goes', { ...full, sync: { socket: '/s', debounceMs: '100' } }, /sync\.debounceMs must be a whole number/],
    ['an IDE command line that is not a list', { ...full, ide: { ...full.ide, argv: 'code-server' } }, /ide\.argv must be an array of strings/],
    ['a listing, not an object', [full], /the agent config must be a JSON object/],
  ];
  for (const [what, content, message] of refused) {
    it(`refuses ${what}, naming the file and the field`, () => {
      const file = writeConfig(JSON.stringify(content));
      assert.throws(() => readAgentConfig(file), (err: Error) => err.message.startsWith(`agent config ${file}: `) && message.test(err.message));
    });
  }

  it('refuses a file that is not JSON, saying so', () => {
    const file = writeConfig('{"replId": ');
    assert.throws(() => readAgentConfig(file), new RegExp(`agent config ${file}: not valid JSON`));
  });

  it("lets a warm-pool sandbox's config name the sandbox rather than a repl", () => {
    assert.equal(readAgentConfig(writeConfig(JSON.stringify({ ...full, replId: 'warm-1', pooled: true }))).replId, 'warm-1');
  });
});

describe('the activate request', () => {
  const good = { replId: 'abcdefghijkl', sync: { socket: '/store/store.sock' }, info: { name: 'x', stack: 'node', port: 3000, previewUrl: '' } };

  it('takes a well-formed request as it is', () => {
    assert.deepEqual(parseActivateRequest(good), good);
  });

  it('refuses a bad one with a 400 that names the field', () => {
    for (const [body, field] of [
      [{ ...good, sync: {} }, 'sync.socket'],
      [{ ...good, info: { ...good.info, port: 'x' } }, 'info.port'],
      [{ ...good, info: { ...good.info, portalUrl: 'http://localhost:8080/dashboard' } }, 'info.portalUrl'],
      [{ sync: good.sync, replId: good.replId }, 'info'],
      // The repl's id reaches every process the agent starts from then on: only a repl id will do.
      [{ ...good, replId: 'warm-1' }, 'replId'],
      [{ sync: good.sync, info: good.info }, 'replId'],
    ] as const) {
      assert.throws(
        () => parseActivateRequest(body),
        (err: unknown) => err instanceof AppError && err.status === 400 && err.message.startsWith(`${field} must be`),
      );
    }
  });
});
