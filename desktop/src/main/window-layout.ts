import type { Rect } from './server-store.js';

/** The toolbar strip above the IDE. */
export const TOOLBAR_HEIGHT = 40;
/** The handle between the IDE and the preview, dragged to resize them. */
export const SPLITTER_WIDTH = 6;
/** Neither side is made narrower than this by dragging or by a small window. */
export const MIN_IDE_WIDTH = 360;
export const MIN_PREVIEW_WIDTH = 240;

export interface LayoutInput {
  /** The window's content size. */
  width: number;
  height: number;
  /** The preview beside the IDE (not when it is detached into a window of its own). */
  previewOpen: boolean;
  previewDetached: boolean;
  /** The preview's width as the user left it; 40 % of the window when never set. */
  previewWidth?: number;
  /** The offline overlay: the toolbar's page covers the whole window while it shows. */
  overlay: boolean;
}

/** Where each view of a repl window goes; a view with no rect is hidden. */
export interface Layout {
  toolbar: Rect;
  ide?: Rect;
  splitter?: Rect;
  preview?: Rect;
}

/** The preview's width kept within what leaves both sides usable. */
export function clampPreviewWidth(width: number, wanted: number): number {
  const max = Math.max(MIN_PREVIEW_WIDTH, width - MIN_IDE_WIDTH - SPLITTER_WIDTH);
  return Math.round(Math.min(max, Math.max(MIN_PREVIEW_WIDTH, wanted)));
}

/**
 * The repl window's views: the toolbar across the top, VS Code below it, and the preview
 * (WebContentsView) on the right behind a splitter. Pure: the window calls it on every resize,
 * drag and state change, and the README's picture of the window is drawn from it.
 */
export function layoutReplWindow(input: LayoutInput): Layout {
  const width = Math.max(0, Math.floor(input.width));
  const height = Math.max(0, Math.floor(input.height));
  if (input.overlay) return { toolbar: { x: 0, y: 0, width, height } };
  const toolbar = { x: 0, y: 0, width, height: Math.min(TOOLBAR_HEIGHT, height) };
  const bodyHeight = Math.max(0, height - toolbar.height);
  const beside = input.previewOpen && !input.previewDetached && width >= MIN_IDE_WIDTH + SPLITTER_WIDTH + MIN_PREVIEW_WIDTH;
  if (!beside) return { toolbar, ide: { x: 0, y: toolbar.height, width, height: bodyHeight } };
  const previewWidth = clampPreviewWidth(width, input.previewWidth ?? width * 0.4);
  const ideWidth = width - previewWidth - SPLITTER_WIDTH;
  return {
    toolbar,
    ide: { x: 0, y: toolbar.height, width: ideWidth, height: bodyHeight },
    splitter: { x: ideWidth, y: toolbar.height, width: SPLITTER_WIDTH, height: bodyHeight },
    preview: { x: ideWidth + SPLITTER_WIDTH, y: toolbar.height, width: previewWidth, height: bodyHeight },
  };
}

/** The preview's new width after the splitter moved by `deltaX` (right is positive: a narrower preview). */
export function dragSplitter(windowWidth: number, previewWidth: number, deltaX: number): number {
  if (!Number.isFinite(deltaX)) return previewWidth;
  return clampPreviewWidth(windowWidth, previewWidth - deltaX);
}

/** How much of a saved window must be on a screen for its place to be used again. */
const MIN_VISIBLE = 120;

/**
 * Where a window opens: where it was last (bounds remembered per window kind), if that place
 * is still on one of the screens (a monitor may have gone since); else the default size,
 * centred by the OS. A saved size larger than the screen is shrunk to it.
 */
export function restoreBounds(saved: Rect | undefined, workAreas: readonly Rect[], fallback: { width: number; height: number }): Partial<Rect> & { width: number; height: number } {
  if (!saved || ![saved.x, saved.y, saved.width, saved.height].every(Number.isFinite) || saved.width < 200 || saved.height < 150) return { ...fallback };
  for (const area of workAreas) {
    const overlapX = Math.min(saved.x + saved.width, area.x + area.width) - Math.max(saved.x, area.x);
    // The title bar must be reachable: the window's top edge inside the screen.
    const topInside = saved.y >= area.y && saved.y < area.y + area.height - 40;
    if (overlapX >= MIN_VISIBLE && topInside) {
      return { x: Math.round(saved.x), y: Math.round(saved.y), width: Math.round(Math.min(saved.width, area.width)), height: Math.round(Math.min(saved.height, area.height)) };
    }
  }
  return { width: Math.round(Math.min(saved.width, workAreas[0]?.width ?? saved.width)), height: Math.round(Math.min(saved.height, workAreas[0]?.height ?? saved.height)) };
}
