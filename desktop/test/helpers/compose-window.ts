import type { Browser, Page } from 'playwright-core';
import type { Layout } from '../../src/main/window-layout.js';

/**
 * A picture of a repl window as Electron would lay it out, where no Electron window can be
 * opened: each view rendered in Chromium at the size layoutReplWindow gives it, then the shots
 * placed at their rects on one page and that page photographed.
 */
export async function composeWindow(browser: Browser, size: { width: number; height: number }, layout: Layout, shots: Partial<Record<keyof Layout, Buffer>>): Promise<Buffer> {
  const page: Page = await browser.newPage({ viewport: size });
  const parts = (Object.keys(shots) as Array<keyof Layout>).map((name) => {
    const rect = layout[name];
    if (!rect) return '';
    return `<img alt="" src="data:image/png;base64,${shots[name]!.toString('base64')}" style="position:absolute;left:${rect.x}px;top:${rect.y}px;width:${rect.width}px;height:${rect.height}px">`;
  });
  await page.setContent(`<body style="margin:0;background:#ccc">${parts.join('')}</body>`);
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  const png = await page.screenshot();
  await page.close();
  return png;
}
