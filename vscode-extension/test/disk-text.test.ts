import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldersToWatch, MAX_WATCHED_FOLDERS, reopenOptions, sameText } from '../src/disk-text.js';

describe('a document against its file', () => {
  it('is the same when only line ends differ, stale when any text does', () => {
    assert.equal(sameText('a\nb\n', 'a\nb\n'), true);
    assert.equal(sameText('a\r\nb\r\n', 'a\nb\n'), true, 'a CRLF file shown with LF');
    assert.equal(sameText('a\r\nb\n', 'a\r\nb\r\n'), true, 'a file mixing line ends');
    assert.equal(sameText('a\nb\n// added\n', 'a\nb\n'), false);
    assert.equal(sameText('a\nb', 'a\nb\n'), false, 'a final line end added on disk');
    assert.equal(sameText('', 'x'), false);
  });
});

describe('folders watched for the open files', () => {
  const roots = ['/home/user/workspace'];

  it("are the folders of the workspace's open files, each once", () => {
    const files = ['/home/user/workspace/index.js', '/home/user/workspace/src/App.jsx', '/home/user/workspace/src/main.jsx'];
    assert.deepEqual([...foldersToWatch(files, roots)], ['/home/user/workspace', '/home/user/workspace/src']);
  });

  it('leave out files outside the workspace and the workspace folder itself', () => {
    const files = ['/usr/lib/node_modules/npm/index.js', '/home/user/.bashrc', '/home/user/workspace', '/home/user/workspace-other/a.js', '/home/user/workspace/../x.js'];
    assert.deepEqual([...foldersToWatch(files, roots)], []);
    assert.deepEqual([...foldersToWatch(['/home/user/workspace/a.js'], [])], [], 'no workspace, nothing watched');
  });

  it('are bounded in number', () => {
    const files = Array.from({ length: 200 }, (_, i) => `/home/user/workspace/d${i}/f.js`);
    assert.equal(foldersToWatch(files, roots).size, MAX_WATCHED_FOLDERS);
    assert.equal(foldersToWatch(files, roots, 3).size, 3);
  });
});

describe('an editor reopened to read its file again', () => {
  const view = { selections: [{ anchor: { line: 2, character: 0 }, active: { line: 2, character: 4 } }, { anchor: { line: 9, character: 1 }, active: { line: 9, character: 1 } }], firstVisibleLine: 5 };

  it('keeps its cursors and scroll, in the workbench view state (1-based)', () => {
    const options = reopenOptions(view, true);
    assert.equal(options.forceReload, true);
    assert.deepEqual(options.viewState, {
      cursorState: [
        { inSelectionMode: true, selectionStart: { lineNumber: 3, column: 1 }, position: { lineNumber: 3, column: 5 } },
        { inSelectionMode: false, selectionStart: { lineNumber: 10, column: 2 }, position: { lineNumber: 10, column: 2 } },
      ],
      viewState: { scrollLeft: 0, firstPosition: { lineNumber: 6, column: 1 }, firstPositionDeltaTop: 0 },
      contributionsState: {},
    });
  });

  it('gives the focus back to the active editor only, and never activates another group', () => {
    assert.equal(reopenOptions(view, true).preserveFocus, false);
    assert.equal(reopenOptions(view, false).preserveFocus, true);
    assert.equal(reopenOptions(view, false).activation, 3);
  });
});
