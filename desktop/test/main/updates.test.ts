import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldCheckForUpdates, startUpdateChecks, UPDATE_INTERVAL_MS } from '../../src/main/updates.js';

describe('update checks', () => {
  it('are off by default, and only in a packaged app the user asked, unless the administrator said no', () => {
    assert.equal(shouldCheckForUpdates({ preference: false, isPackaged: true, env: {} }), false);
    assert.equal(shouldCheckForUpdates({ preference: true, isPackaged: false, env: {} }), false);
    assert.equal(shouldCheckForUpdates({ preference: true, isPackaged: true, env: {} }), true);
    assert.equal(shouldCheckForUpdates({ preference: true, isPackaged: true, env: { CODEYARD_DESKTOP_UPDATES: 'off' } }), false);
  });
  it('check at once and then every six hours through electron-updater, until stopped', async () => {
    let checks = 0;
    let every = 0;
    let cleared = false;
    const stop = await startUpdateChecks({
      load: async () => ({ autoDownload: false, checkForUpdatesAndNotify: async () => void checks++ }),
      log: () => undefined,
      setInterval: ((fn: () => void, ms: number) => ((every = ms), fn(), 1)) as unknown as typeof setInterval,
      clearInterval: (() => (cleared = true)) as unknown as typeof clearInterval,
    });
    assert.equal(checks, 2);
    assert.equal(every, UPDATE_INTERVAL_MS);
    stop();
    assert.ok(cleared);
  });
});
