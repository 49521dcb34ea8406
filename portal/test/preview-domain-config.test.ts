import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

/** Previews on the portal's own site can toss cookies to it: outside localhost that needs a choice. */
describe('preview domain configuration', () => {
  it('refuses to start on a real domain without a separate preview domain, saying what to set', () => {
    assert.throws(
      () => loadConfig({ CODEYARD_DOMAIN: 'codeyard.example.com' }),
      (err: unknown) => err instanceof ConfigError && /CODEYARD_PREVIEW_DOMAIN/.test(err.message) && /CODEYARD_PREVIEWS_SAME_SITE=on/.test(err.message),
    );
  });

  it('refuses a preview domain on the same site as the portal', () => {
    for (const previewDomain of ['codeyard.example.com', 'apps.codeyard.example.com', 'apps.example.com', 'example.com']) {
      assert.throws(() => loadConfig({ CODEYARD_DOMAIN: 'codeyard.example.com', CODEYARD_PREVIEW_DOMAIN: previewDomain }), /same site/, previewDomain);
    }
  });

  it('starts with a preview domain on another site, with the explicit opt-in, or on localhost', () => {
    assert.equal(loadConfig({ CODEYARD_DOMAIN: 'codeyard.example.com', CODEYARD_PREVIEW_DOMAIN: 'codeyard-apps.net' }).previewDomain, 'codeyard-apps.net');
    assert.equal(loadConfig({ CODEYARD_DOMAIN: 'codeyard.example.com', CODEYARD_PREVIEWS_SAME_SITE: 'on' }).previewsSameSite, true);
    assert.equal(loadConfig({}).domain, 'localhost', 'every <name>.localhost is a site of its own');
    assert.equal(loadConfig({ CODEYARD_PREVIEW_DOMAIN: 'preview.localhost' }).previewDomain, 'preview.localhost');
  });
});
