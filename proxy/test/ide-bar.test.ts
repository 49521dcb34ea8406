import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml } from '@codeyard/common/html';
import { ideBarPage } from '../src/ide-bar.js';

describe("the Codeyard bar's page", () => {
  const page = ideBarPage({ frameSrc: '/?folder=/w', replName: 'My <b>repl</b>' });

  it("names the repl in the tab's title and in the loading splash, escaped", () => {
    const name = escapeHtml('My <b>repl</b>');
    assert.ok(page.includes(`<title>${name} · Codeyard</title>`));
    assert.ok(/<div id="codeyard-splash" role="status"[^>]*>.*<\/div>/.exec(page)![0].includes(`Opening ${name} in VS Code…`));
    // In the script the name is a string that cannot close the script element.
    assert.ok(!/<\/b>/.test(page.slice(page.indexOf('<script>'))), 'no raw markup of the name in the script');
  });

  it('asks for nothing more to show the splash: inline style, no image, font or script of its own', () => {
    const splash = /<div id="codeyard-splash".*?<\/div>/s.exec(page)![0];
    assert.doesNotMatch(splash, /\b(src|href)=/);
    assert.doesNotMatch(page, /<script src=|<link rel="stylesheet"|url\(/);
  });
});
