import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardUrl, localLinks, previewUrlForPort, previewUrlOfLink } from '../src/preview-links.js';

const repl = { replId: 'abcdefghijkl', port: 3000, previewUrl: 'http://abcdefghijkl-3000.localhost:8080/' };

describe('printed loopback links to preview URLs', () => {
  it('finds what servers print, and only loopback URLs with a port', () => {
    const cases: Array<[string, Array<{ text: string; port: number; path: string }>]> = [
      ['listening on http://localhost:3000/', [{ text: 'http://localhost:3000/', port: 3000, path: '/' }]],
      // Vite's line, arrow and colours already stripped by VS Code.
      ['  ➜  Local:   http://localhost:5173/', [{ text: 'http://localhost:5173/', port: 5173, path: '/' }]],
      ['Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...', [{ text: 'http://0.0.0.0:8000/', port: 8000, path: '/' }]],
      ['see http://127.0.0.1:3000/api?x=1#top.', [{ text: 'http://127.0.0.1:3000/api?x=1#top', port: 3000, path: '/api?x=1#top' }]],
      ['open "http://[::1]:4000", then', [{ text: 'http://[::1]:4000', port: 4000, path: '/' }]],
      ['http://localhost/ and http://example.com:3000/ and http://localhost:99999/', []],
      ['two: http://localhost:3000 http://localhost:3001/x', [{ text: 'http://localhost:3000', port: 3000, path: '/' }, { text: 'http://localhost:3001/x', port: 3001, path: '/x' }]],
    ];
    for (const [line, want] of cases) {
      const got = localLinks(line).map((l) => ({ text: line.slice(l.start, l.start + l.length), port: l.port, path: l.path }));
      assert.deepEqual(got, want, line);
    }
  });

  it("maps a link to the repl's preview URL of that port, path kept", () => {
    const [link] = localLinks('Local: http://localhost:5173/src/?q=1');
    assert.equal(previewUrlOfLink(link!, repl), 'http://abcdefghijkl-5173.localhost:8080/src/?q=1');
    const [app] = localLinks('http://localhost:3000/');
    assert.equal(previewUrlOfLink(app!, repl), repl.previewUrl);
    assert.equal(previewUrlForPort('https://abcdefghijkl-3000.apps.example.org/', 'abcdefghijkl', 3000, 8080), 'https://abcdefghijkl-8080.apps.example.org/');
  });

  it('maps nothing when the preview URL is unknown or not of this repl', () => {
    const [link] = localLinks('http://localhost:3000/');
    assert.equal(previewUrlOfLink(link!, { ...repl, previewUrl: '' }), undefined);
    assert.equal(previewUrlOfLink(link!, { ...repl, replId: 'otherreplidx' }), undefined);
    assert.equal(previewUrlForPort(repl.previewUrl, repl.replId, 3000, 0), undefined);
  });
});

describe('the way back to the dashboard', () => {
  it("is the portal's URL as the portal gave it, not a guess from the IDE's or preview's host", () => {
    // Previews on a domain of their own: nothing about the preview's host says where the portal is.
    assert.equal(dashboardUrl({ portalUrl: 'https://codeyard.example/' }), 'https://codeyard.example/');
    assert.equal(dashboardUrl({ portalUrl: 'http://localhost:8080/' }), 'http://localhost:8080/');
    assert.equal(dashboardUrl({}), undefined);
    assert.equal(dashboardUrl({ portalUrl: '' }), undefined);
    assert.equal(dashboardUrl({ portalUrl: 'javascript:alert(1)' }), undefined);
  });
});
