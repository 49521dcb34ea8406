import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampPreviewWidth, dragSplitter, layoutReplWindow, MIN_IDE_WIDTH, restoreBounds, SPLITTER_WIDTH, TOOLBAR_HEIGHT } from '../../src/main/window-layout.js';
import { WindowManager, type ReplWindowHandle } from '../../src/main/window-manager.js';

describe('repl window layout', () => {
  it('puts the toolbar on top and VS Code below it, the whole width, with no preview', () => {
    assert.deepEqual(layoutReplWindow({ width: 1400, height: 900, previewOpen: false, previewDetached: false, overlay: false }), {
      toolbar: { x: 0, y: 0, width: 1400, height: TOOLBAR_HEIGHT },
      ide: { x: 0, y: TOOLBAR_HEIGHT, width: 1400, height: 900 - TOOLBAR_HEIGHT },
    });
  });

  it('puts the preview beside VS Code behind the splitter, edges touching and nothing overlapping', () => {
    const l = layoutReplWindow({ width: 1400, height: 900, previewOpen: true, previewDetached: false, overlay: false });
    assert.equal(l.preview!.width, 560, '40 % by default');
    assert.equal(l.ide!.x + l.ide!.width, l.splitter!.x);
    assert.equal(l.splitter!.x + l.splitter!.width, l.preview!.x);
    assert.equal(l.preview!.x + l.preview!.width, 1400);
  });

  it('keeps both sides usable when dragged or squeezed, and drops the preview from a window too narrow for both', () => {
    assert.equal(dragSplitter(1400, 560, -2000), 1400 - MIN_IDE_WIDTH - SPLITTER_WIDTH);
    assert.equal(dragSplitter(1400, 560, 2000), 240);
    assert.equal(dragSplitter(1400, 560, 100), 460);
    assert.equal(dragSplitter(1400, 560, Number.NaN), 560);
    assert.equal(clampPreviewWidth(1000, 900), 1000 - MIN_IDE_WIDTH - SPLITTER_WIDTH);
    assert.equal(layoutReplWindow({ width: 500, height: 600, previewOpen: true, previewDetached: false, overlay: false }).preview, undefined);
  });

  it('shows no preview beside VS Code once detached, and only the overlay while offline', () => {
    assert.equal(layoutReplWindow({ width: 1400, height: 900, previewOpen: true, previewDetached: true, overlay: false }).preview, undefined);
    assert.deepEqual(layoutReplWindow({ width: 1400, height: 900, previewOpen: true, previewDetached: false, overlay: true }), { toolbar: { x: 0, y: 0, width: 1400, height: 900 } });
  });
});

describe('window bounds remembered', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  it('opens a window where it was, if that is still on a screen', () => {
    assert.deepEqual(restoreBounds({ x: 100, y: 50, width: 1200, height: 800 }, screen, { width: 1400, height: 900 }), { x: 100, y: 50, width: 1200, height: 800 });
    assert.deepEqual(restoreBounds({ x: 2000, y: 50, width: 1200, height: 800 }, [...screen, { x: 1920, y: 0, width: 1280, height: 1024 }], { width: 1, height: 1 }), { x: 2000, y: 50, width: 1200, height: 800 });
  });
  it('lets the OS place a window whose screen is gone, or whose title bar would be off screen', () => {
    assert.deepEqual(restoreBounds({ x: 2500, y: 50, width: 1200, height: 800 }, screen, { width: 1400, height: 900 }), { width: 1200, height: 800 });
    assert.deepEqual(restoreBounds({ x: 100, y: -300, width: 1200, height: 800 }, screen, { width: 1400, height: 900 }), { width: 1200, height: 800 });
    assert.deepEqual(restoreBounds({ x: 0, y: 0, width: 5000, height: 3000 }, screen, { width: 1400, height: 900 }), { x: 0, y: 0, width: 1920, height: 1080 });
    assert.deepEqual(restoreBounds(undefined, screen, { width: 1400, height: 900 }), { width: 1400, height: 900 });
    assert.deepEqual(restoreBounds({ x: Number.NaN, y: 0, width: 800, height: 600 }, screen, { width: 1400, height: 900 }), { width: 1400, height: 900 });
  });
});

describe('window manager', () => {
  class WindowDouble implements ReplWindowHandle {
    log: string[] = [];
    constructor(public onClosed: () => void) {}
    focus() {
      this.log.push('focus');
    }
    showPreview(port?: number) {
      this.log.push(`preview ${port}`);
    }
    close() {
      this.log.push('close');
      this.onClosed();
    }
  }
  it('keeps one window per repl and server: opening again focuses it', () => {
    const made: string[] = [];
    const manager = new WindowManager((server, replId, _o, closed) => (made.push(`${server} ${replId}`), new WindowDouble(closed)));
    const first = manager.open('http://localhost:8080', 'abcdefghijkl');
    assert.equal(manager.open('http://localhost:8080', 'abcdefghijkl', { port: 5173 }), first);
    assert.deepEqual(first.log, ['focus', 'preview 5173']);
    manager.open('https://other.example', 'abcdefghijkl');
    assert.equal(made.length, 2, 'the same id on another server is another window');
    manager.closeServer('http://localhost:8080');
    assert.equal(manager.get('http://localhost:8080', 'abcdefghijkl'), undefined);
    assert.equal(manager.all().length, 1);
  });
});
