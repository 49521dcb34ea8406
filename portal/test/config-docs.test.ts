import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configTable, helpText } from '../src/config-docs.js';
import { SETTINGS } from '../src/config-table.js';

/** portal/dist/test → the repository. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the config table', () => {
  it('is the README Configuration table, word for word', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const match = /<!-- config-table[^>]*-->\n([\s\S]*?)\n<!-- \/config-table -->/.exec(readme);
    assert.ok(match, 'README.md has the config-table markers');
    assert.equal(match[1], configTable(), 'README.md is stale: replace the table between the markers with configTable() (portal/src/config-docs.ts)');
  });

  it('documents every variable the code reads, and --help lists them all', () => {
    const documented = new Set(Object.values(SETTINGS).flatMap((s) => s.vars.map((v) => v.name)));
    const source = fs.readFileSync(path.join(REPO_ROOT, 'portal/src/config-table.ts'), 'utf8');
    const read = new Set([...source.matchAll(/'((?:CODEYARD_|CODE_SERVER_)[A-Z0-9_]+|PORT)'/g)].map((m) => m[1]!));
    // Read only as the other half of a documented pair (the S3 secret goes with the key id).
    read.delete('CODEYARD_S3_SECRET_ACCESS_KEY');
    for (const name of read) assert.ok(documented.has(name), `${name} is read but not in the table`);
    const help = helpText();
    for (const name of documented) assert.ok(help.includes(`  ${name}\n`), `--help lists ${name}`);
  });
});
