// Draws the app's icons from build/*.svg with headless Chromium (the PNGs are committed; run again
// after changing an SVG): build/icon.png (1024 px, electron-builder makes .icns and .ico from it),
// build/icons/<n>x<n>.png (Linux), build/tray.png (the Linux/Windows tray, 32 px, the colour mark) and
// build/trayTemplate.png + @2x (macOS's menu bar, black on transparent).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const build = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../build');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const draw = async (svg, size, out, style = '') => {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const data = fs.readFileSync(path.join(build, svg), 'utf8');
    await page.setContent(`<html><body style="margin:0;background:transparent"><div style="width:${size}px;height:${size}px;${style}">${data.replace('<svg ', `<svg width="${size}" height="${size}" `)}</div></body></html>`);
    fs.mkdirSync(path.dirname(path.join(build, out)), { recursive: true });
    await page.screenshot({ path: path.join(build, out), omitBackground: true });
    await page.close();
  };
  await draw('icon.svg', 1024, 'icon.png');
  for (const n of [16, 32, 48, 64, 128, 256, 512]) await draw('icon.svg', n, `icons/${n}x${n}.png`);
  // Linux and Windows trays: the colour mark, readable on light and dark panels alike.
  await draw('icon.svg', 32, 'tray.png');
  await draw('tray.svg', 16, 'trayTemplate.png');
  await draw('tray.svg', 32, 'trayTemplate@2x.png');
} finally {
  await browser.close();
}
