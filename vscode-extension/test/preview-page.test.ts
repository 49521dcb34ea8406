import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { previewHtml } from '../src/preview-page.js';

const URL_A = 'http://abcdefghijkl-3000.localhost:8080/';

/** The panel page's script run against a stand-in of its DOM and of VS Code's webview API (doubles). */
function runPage(url: string) {
  const html = previewHtml(url, 'n0nce');
  const script = /<script nonce="n0nce">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, 'the page has its script, with the nonce');
  const listeners: Record<string, (e: unknown) => void> = {};
  const element = (id: string) => ({ id, src: id === 'preview' ? url : '', textContent: '', title: '', contentWindow: { frame: true }, addEventListener: (type: string, fn: () => void) => (listeners[`${id}:${type}`] = fn) });
  const elements = Object.fromEntries(['preview', 'address', 'reload', 'external'].map((id) => [id, element(id)]));
  // Objects made in the page's context: compared as JSON, their prototypes are of another realm.
  const posted: unknown[] = [];
  const context = {
    acquireVsCodeApi: () => ({ postMessage: (m: unknown) => posted.push(m) }),
    document: { getElementById: (id: string) => elements[id] },
    window: { addEventListener: (type: string, fn: (e: unknown) => void) => (listeners[`window:${type}`] = fn) },
  };
  // Compiling is the check that failed in the field: a syntax error left the page without a script.
  new vm.Script(script).runInNewContext(context);
  return { frame: elements.preview!, address: elements.address!, listeners, posted };
}

describe('the Preview panel page', () => {
  it('reloads its frame when VS Code says load, to a new URL or the same one', () => {
    const page = runPage(URL_A);
    page.frame.src = '';
    page.listeners['window:message']!({ source: {}, data: { type: 'load', url: URL_A } });
    assert.equal(page.frame.src, URL_A, 'src set again: a fresh load, even of the same URL');
    const next = `${URL_A}from-terminal`;
    page.listeners['window:message']!({ source: {}, data: { type: 'load', url: next } });
    assert.equal(page.frame.src, next);
    assert.equal(page.address.textContent, next);
    assert.deepEqual(JSON.parse(JSON.stringify(page.posted)), [{ type: 'loading', url: URL_A }, { type: 'loading', url: next }]);
  });

  it('ignores what the app in the frame posts, and URLs that are not http(s)', () => {
    const page = runPage(URL_A);
    page.listeners['window:message']!({ source: page.frame.contentWindow, data: { type: 'load', url: 'http://elsewhere.example/' } });
    page.listeners['window:message']!({ source: {}, data: { type: 'load', url: 'javascript:alert(1)' } });
    page.listeners['window:message']!({ source: {}, data: { type: 'other', url: URL_A } });
    assert.equal(page.frame.src, URL_A);
    assert.deepEqual(JSON.parse(JSON.stringify(page.posted)), []);
  });

  it('reloads on its own Reload button', () => {
    const page = runPage(URL_A);
    page.listeners['reload:click']!({});
    assert.deepEqual(JSON.parse(JSON.stringify(page.posted)), [{ type: 'loading', url: URL_A }]);
  });
});
