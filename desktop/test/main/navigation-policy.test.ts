import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideNavigation, decidePermission, decideWindowOpen, serverHosts, type NavigationContext } from '../../src/main/navigation-policy.js';

const ID = 'abcdefghijkl';
const OTHER = 'bcdefghijklm';
const local = serverHosts('http://127.0.0.1:8080', { ideUrl: `http://${ID}.localhost:8080`, previewUrl: `http://${ID}-3000.localhost:8080` });
const split = serverHosts('https://codeyard.example.com', { ideUrl: `https://${ID}.codeyard.example.com`, previewUrl: `https://${ID}-3000.apps.example.net` });
const ide: NavigationContext = { view: 'ide', server: local, replId: ID };
const preview: NavigationContext = { view: 'preview', server: local, replId: ID };
const app: NavigationContext = { view: 'app' };

describe('navigation policy', () => {
  it('learns the portal and preview domains from a repl view, not from what the user typed', () => {
    assert.deepEqual(local, { origin: 'http://localhost:8080', domain: 'localhost' });
    assert.deepEqual(split, { origin: 'https://codeyard.example.com', domain: 'codeyard.example.com', previewDomain: 'apps.example.net' });
  });

  const cases: Array<[string, NavigationContext, string, string]> = [
    ['the IDE host of this repl', ide, `http://${ID}.localhost:8080/?folder=/x`, 'allow'],
    ['a preview host of this repl', preview, `http://${ID}-3000.localhost:8080/`, 'allow'],
    ['another repl of the same server', ide, `http://${OTHER}.localhost:8080/`, 'allow'],
    ['the portal', ide, 'http://localhost:8080/', 'allow'],
    ['the portal\'s /open (lapsed IDE cookie): a fresh link instead', ide, `http://localhost:8080/open/${ID}?next=/`, 'open-repl'],
    ['the same host on another port', ide, `http://${ID}.localhost:9999/`, 'external'],
    ['https instead of http', ide, `https://${ID}.localhost:8080/`, 'external'],
    ['a look-alike host', ide, `http://${ID}.localhost.evil.example:8080/`, 'external'],
    ['another site', preview, 'https://github.com/', 'external'],
    ['file:', ide, 'file:///etc/passwd', 'deny'],
    ['javascript:', preview, 'javascript:alert(1)', 'deny'],
    ['data:', preview, 'data:text/html,<script>1</script>', 'deny'],
    ['a custom scheme', ide, 'vscode://file/x', 'deny'],
    ['the app scheme from a remote page', ide, 'codeyard-app://app/', 'deny'],
    ['the app pages on their origin', app, 'codeyard-app://app/toolbar?repl=x', 'allow'],
    ['the app pages leaving for the web', app, 'https://example.com/', 'external'],
    ['the app pages to file:', app, 'file:///', 'deny'],
    ['a preview domain of its own', { view: 'preview', server: split, replId: ID }, `https://${ID}-3000.apps.example.net/`, 'allow'],
    ['no preview on the IDE domain when previews have their own', { view: 'preview', server: split, replId: ID }, `https://${ID}-3000.codeyard.example.com/`, 'external'],
  ];
  for (const [what, context, url, action] of cases) {
    it(`navigation to ${what}: ${action}`, () => assert.equal(decideNavigation(url, context).action, action));
  }

  it('never lets window.open make a window: preview hosts to the preview, /open to a repl window, the rest to the system browser or nowhere', () => {
    assert.deepEqual(decideWindowOpen(`http://${ID}-3000.localhost:8080/x`, ide), { action: 'preview', url: `http://${ID}-3000.localhost:8080/x` });
    assert.equal(decideWindowOpen(`http://${OTHER}-3000.localhost:8080/`, ide).action, 'external');
    assert.deepEqual(decideWindowOpen('codeyard-app://app/open/abcdefghijkl?port=3000', app), { action: 'open-repl', replId: ID, port: 3000 });
    assert.equal(decideWindowOpen('codeyard-app://app/open/..%2f..', app).action, 'deny');
    assert.equal(decideWindowOpen('codeyard-app://app/home', app).action, 'deny');
    assert.equal(decideWindowOpen('https://example.com/', app).action, 'external');
    assert.equal(decideWindowOpen('file:///etc/passwd', ide).action, 'deny');
    assert.equal(decideWindowOpen('ms-settings:', ide).action, 'deny');
    assert.equal(decideWindowOpen('not a url', ide).action, 'deny');
  });
});

describe('permission policy', () => {
  it('grants the clipboard to this repl\'s IDE only', () => {
    assert.equal(decidePermission('clipboard-read', `http://${ID}.localhost:8080/`, ide), true);
    assert.equal(decidePermission('clipboard-sanitized-write', `http://${ID}.localhost:8080`, ide), true);
  });
  it('denies everything else: other permissions, previews, other repls, the app pages', () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'openExternal', 'midiSysex', 'hid', 'serial', 'usb', 'fullscreen', 'display-capture', 'unknown']) {
      assert.equal(decidePermission(permission, `http://${ID}.localhost:8080/`, ide), false, permission);
    }
    assert.equal(decidePermission('clipboard-read', `http://${ID}-3000.localhost:8080/`, preview), false);
    assert.equal(decidePermission('clipboard-read', `http://${OTHER}.localhost:8080/`, ide), false);
    assert.equal(decidePermission('clipboard-read', 'https://evil.example/', ide), false);
    assert.equal(decidePermission('clipboard-read', 'codeyard-app://app/', app), false);
  });
});
