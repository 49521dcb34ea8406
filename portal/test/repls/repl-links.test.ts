import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrantSigner } from '@codeyard/common/tickets';
import { ReplLinks } from '../../src/repls/repl-links.js';
import type { ReplRecord } from '../../src/repls/repl-record.js';

const record = { id: 'abcdefghijkl', name: 'My repl', stack: 'node', manifest: { port: 3000 } } as unknown as ReplRecord;
const links = (publicOrigin: ConstructorParameters<typeof ReplLinks>[0]['publicOrigin']): ReplLinks =>
  new ReplLinks({ publicOrigin, signer: new GrantSigner(Buffer.alloc(32, 1)), ticketTtlMs: 60_000, workspacePath: () => '/workspace' });

describe("what a repl's IDE is told of the repl", () => {
  it("gives the portal's own URL for the way back to the dashboard, wherever previews live", () => {
    assert.deepEqual(links({ domain: 'localhost', scheme: 'http', port: 8080 }).ideInfo(record), {
      name: 'My repl',
      stack: 'node',
      port: 3000,
      previewUrl: 'http://abcdefghijkl-3000.localhost:8080/',
      portalUrl: 'http://localhost:8080/',
    });
    // Previews on a domain of their own: the portal's URL cannot be read off the preview's host.
    const apart = links({ domain: 'codeyard.example', previewDomain: 'apps.example.net', scheme: 'https', port: 443 }).ideInfo(record);
    assert.equal(apart.previewUrl, 'https://abcdefghijkl-3000.apps.example.net/');
    assert.equal(apart.portalUrl, 'https://codeyard.example/');
  });
});
