import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSetEnvRequest } from '../src/agent/routes.js';
import { SECRET_VALUE_MAX_BYTES, SECRETS_MAX, secretNameProblem, secretSetProblem, secretValueProblem } from '../src/secrets.js';

describe("a repl's secrets: the rules every side checks", () => {
  it('takes shell variable names and refuses the rest, naming what is wrong', () => {
    for (const ok of ['API_KEY', '_x', 'a1', 'DATABASE_URL', 'x'.repeat(64)]) assert.equal(secretNameProblem(ok), undefined, ok);
    for (const bad of ['', '1A', 'A-B', 'A B', 'ä', 'x'.repeat(65), 'A=B']) assert.match(secretNameProblem(bad) ?? '', /is not a variable name/, bad);
  });

  it("refuses the names the repl sets itself (PORT, PATH, CODEYARD_*, VSCODE_*) and __proto__", () => {
    for (const name of ['PORT', 'PATH', 'HOME', 'CODEYARD_AGENT_BIN', 'VSCODE_IPC_HOOK', '__proto__']) assert.match(secretNameProblem(name) ?? '', /set by the repl itself/, name);
  });

  it('limits a value to 32 KiB of UTF-8 without NUL, and a set to 100 secrets', () => {
    assert.equal(secretValueProblem(''), undefined, 'an empty value is a value');
    assert.equal(secretValueProblem('x'.repeat(SECRET_VALUE_MAX_BYTES)), undefined);
    assert.match(secretValueProblem('é'.repeat(SECRET_VALUE_MAX_BYTES / 2 + 1)) ?? '', /at most 32 KiB/, 'counted in bytes, not characters');
    assert.match(secretValueProblem('a\u0000b') ?? '', /NUL/);
    const many = Object.fromEntries(Array.from({ length: SECRETS_MAX + 1 }, (_, i) => [`S${i}`, 'v']));
    assert.match(secretSetProblem(many) ?? '', /at most 100 secrets/);
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`S${i}`, 'x'.repeat(SECRET_VALUE_MAX_BYTES)]));
    assert.match(secretSetProblem(big) ?? '', /256 KiB together/);
  });

  it("parses the agent's PUT /env body, refusing anything else with a 400 naming the field", () => {
    assert.deepEqual(parseSetEnvRequest({ variables: { A: '1', B: '' } }), { variables: { A: '1', B: '' } });
    assert.deepEqual(parseSetEnvRequest({ variables: {} }), { variables: {} });
    for (const [body, message] of [
      [[], /must be a JSON object/],
      [{}, /variables must be an object/],
      [{ variables: ['A'] }, /variables must be an object/],
      [{ variables: { A: 1 } }, /variables.A must be a string/],
      [{ variables: { PORT: '1' } }, /set by the repl itself/],
    ] as const) {
      assert.throws(() => parseSetEnvRequest(body), (err: Error & { code?: string }) => err.code === 'VALIDATION' && message.test(err.message), JSON.stringify(body));
    }
    const sneaky = parseSetEnvRequest(JSON.parse('{"variables":{"A":"1"}}'));
    assert.equal(Object.getPrototypeOf(sneaky.variables), Object.prototype);
  });
});
