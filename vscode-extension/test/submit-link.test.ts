import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replInfoFromEnv } from '../src/present.js';
import { submitPageUrl, submitView } from '../src/submit-link.js';

const repl = { replId: 'abcdefghijkl', portalUrl: 'http://localhost:8080/', classroom: 'Intro to JS' };

describe('Submit in VS Code', () => {
  it("leads to the portal's own page for this repl, where the person's own session submits", () => {
    assert.equal(submitPageUrl(repl), 'http://localhost:8080/classes?submit=abcdefghijkl');
    assert.equal(submitPageUrl({ ...repl, portalUrl: 'https://code.school.example/' }), 'https://code.school.example/classes?submit=abcdefghijkl');
  });

  it('is offered only in a class repl whose portal and id are known', () => {
    assert.deepEqual(submitView(repl)?.text, '$(cloud-upload) Submit');
    assert.match(submitView(repl)!.tooltip, /Intro to JS/);
    assert.equal(submitView({ ...repl, classroom: undefined }), undefined, 'not a class repl');
    assert.equal(submitView({ ...repl, portalUrl: undefined }), undefined, 'a warm sandbox before activation');
    assert.equal(submitView({ ...repl, replId: '' }), undefined);
    assert.equal(submitPageUrl({ ...repl, portalUrl: 'javascript:alert(1)//' }), undefined, 'never another scheme');
    assert.equal(submitPageUrl({ ...repl, replId: '../admin' }), undefined, 'never another path');
  });

  it("reads the class from code-server's environment, as the agent sets it", () => {
    const env = { CODEYARD_AGENT_SOCKET: '/run/agent.sock', CODEYARD_REPL_ID: 'abcdefghijkl', CODEYARD_PORTAL_URL: 'http://localhost:8080/', CODEYARD_CLASS_NAME: 'Intro to JS' };
    assert.equal(replInfoFromEnv(env)?.classroom, 'Intro to JS');
    assert.equal(replInfoFromEnv({ ...env, CODEYARD_CLASS_NAME: undefined })?.classroom, undefined);
  });
});
