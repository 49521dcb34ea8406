import fs from 'node:fs';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why a browser test cannot run here, or undefined when it can. In CI a missing Chromium is a
 * failure (`.ci/run` installs it), never a silent skip.
 */
export function browserUnavailable(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  if (process.env.CI) throw new Error(`Chromium is missing at ${CHROMIUM}; .ci/run installs it (apt-get install chromium)`);
  return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

/** Headless Debian Chromium with the flags this machine needs (no sandbox as root, no background network). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * VS Code on a page an IDE link opened: it runs in the frame of the Codeyard bar's page
 * (proxy/src/ide-bar.ts), on the same host.
 */
export function vscodeIn(page: Page): FrameLocator {
  return page.frameLocator('iframe#codeyard-ide');
}
