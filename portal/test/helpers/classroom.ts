import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { readArchive } from '../../src/archive/archive.js';
import { LIMITS } from './archives.js';

/** The roster the teacher uploads: three students, one of whom will solve the task. */
export const ROSTER_CSV = 'Name,Email,Student ID\nAda Lovelace,ada@example.org,S-001\nAlan Turing,alan@example.org,S-002\nGrace Hopper,grace@example.org,S-003\n';

/** What the autograde looks for: the student who typed it passes, the others fail. */
export const SOLVED = 'SOLVED by Ada';
export const GRADE_COMMAND = `grep -q "${SOLVED}" index.js`;

/** Signs a browser in through the sign-in page, as a person would. */
export async function signIn(page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('codeyard-app .who').waitFor();
}

/** Screenshots of every step, numbered, into one folder (the e2e results). */
export function shooter(dir: string): (page: Page, name: string) => Promise<unknown> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let step = 0;
  return (page, name) => page.screenshot({ path: path.join(dir, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** The top-level folders of a zip archive and its file count (read with the portal's own reader). */
export async function zipFolders(file: string): Promise<{ folders: string[]; files: string[] }> {
  const entries = await readArchive(fs.readFileSync(file), 'zip', { ...LIMITS, maxTotalBytes: 200 * 1024 * 1024 });
  const files = entries.filter((e) => e.type === 'file').map((e) => e.path);
  const folders = [...new Set(entries.map((e) => e.path.split('/')[0]!))].sort();
  return { folders, files };
}

/** A page that has not reloaded since it was marked: the mark is gone after any navigation. */
export async function markPage(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => ((globalThis as unknown as { __codeyardMark: boolean }).__codeyardMark = true));
  return () => page.evaluate(() => (globalThis as unknown as { __codeyardMark?: boolean }).__codeyardMark === true);
}

/** The next tab the context opens (window.open, a target=_blank link, VS Code's openExternal). */
export function nextTab(context: BrowserContext, timeout = 30_000): Promise<Page> {
  return context.waitForEvent('page', { timeout });
}
