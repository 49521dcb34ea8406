import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Where npm run build puts tsserver-node, beside idle-gc.cjs. */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe("tsserver-node (the Node that runs VS Code's TypeScript server in a repl)", () => {
  it("runs code-server's Node with a small young generation and the idle collection, then the extension's flags, script and arguments", () => {
    // A stand-in for tsserver.js that says how it was run.
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-tsnode-')), 'tsserver.js');
    fs.writeFileSync(script, `console.log(JSON.stringify({ node: process.execPath, flags: process.execArgv, args: process.argv.slice(2), preloaded: Object.keys(require.cache).some((f) => f.endsWith('idle-gc.cjs')) }));`);
    // As the TypeScript extension calls it: its Node flags, then the script and its arguments.
    const out = execFileSync(path.join(DIST, 'tsserver-node'), ['--max-old-space-size=3072', script, '--useInferredProjectPerProjectRoot'], {
      // PATH without this Node: the one run must be CODEYARD_IDE_NODE's.
      env: { PATH: '/usr/bin:/bin', CODEYARD_IDE_NODE: process.execPath },
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), {
      node: process.execPath,
      flags: ['--max-semi-space-size=4', `--require=${path.join(DIST, 'idle-gc.cjs')}`, '--max-old-space-size=3072'],
      args: ['--useInferredProjectPerProjectRoot'],
      preloaded: true,
    });
  });
});
