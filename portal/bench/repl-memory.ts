import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { vscodeIn } from '../test/helpers/browser.js';
import { replPids } from '../test/helpers/repl-processes.js';
import type { TestPortal } from '../test/helpers/test-portal.js';
import { timed } from './harness.js';

export { replPids };

/** The biggest processes of a set by PSS, for the console ("what costs the memory"). */
export function topProcesses(pids: number[], count = 8): string {
  return pids
    .map((pid) => {
      const cmd = (() => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).map((a) => path.basename(a)).join(' ').slice(0, 70);
        } catch {
          return '?';
        }
      })();
      return { cmd, pss: memoryOf([pid]).pss };
    })
    .filter((p) => p.pss >= 1)
    .sort((a, b) => b.pss - a.pss)
    .slice(0, count)
    .map((p) => `${p.pss.toFixed(0)} MB ${p.cmd}`)
    .join('\n     ');
}

/**
 * What each process of a repl is, from its command line: the parts its memory is told by (the
 * README's breakdown). Anything else (a terminal's shell, the app, another stack's language
 * server) is "other".
 */
const ROLES: ReadonlyArray<readonly [string, RegExp]> = [
  // First: bwrap's own command line names the files it binds (the launcher, tsserver-node…).
  ['sandbox (bwrap)', /^\S*bwrap /],
  ['TypeScript server', /tsserver\.js/],
  ['JSON language server', /jsonServerMain/],
  ['extension host', /--type=extensionHost/],
  ['file watcher', /--type=fileWatcher/],
  ['terminal host', /--type=ptyHost/],
  ["code-server's server", /code-server-launch|out\/node\/entry\.js/],
  ['agent', /codeyard-agent/],
];

/** The role of one process (see ROLES). */
export function processRole(commandLine: string): string {
  return ROLES.find(([, pattern]) => pattern.test(commandLine))?.[0] ?? 'other';
}

/** The roles in the order the breakdown lists them. */
export const ROLE_NAMES: readonly string[] = [...ROLES.map(([name]) => name), 'other'];

/** PSS in MB by role (see processRole) of a set of processes; roles with no process are left out. */
export function pssByRole(pids: number[]): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const pid of pids) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
    } catch {
      continue; // ended meanwhile
    }
    const role = processRole(cmd);
    byRole.set(role, (byRole.get(role) ?? 0) + memoryOf([pid]).pss);
  }
  return byRole;
}

/** RSS and PSS of a set of processes, in MB (PSS shares code pages fairly between them). */
export function memoryOf(pids: number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return { rss: rss / 1024, pss: pss / 1024 };
}

/** Opens a repl's IDE in `page` by a one-time link; answers how long until the explorer showed the workspace. */
export async function openWorkbench(t: TestPortal, token: string, id: string, page: Page): Promise<[number, void]> {
  const link = (await t.api(token, 'POST', `/api/repls/${id}/ide-link`)).json<{ url: string }>().url;
  // Timed from the navigation, as a user clicking the link would see it.
  return timed(async () => {
    await page.goto(link);
    // VS Code runs in the frame of the Codeyard bar's page.
    await vscodeIn(page).locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
  });
}

/**
 * A repl's PSS once it has settled after a page opened: its language server loads the project
 * for a while after the workbench shows (a TypeScript server grows from ~60 MB to ~170 MB in the
 * 10-20 s after), so a figure taken too early flatters. Sampled every 3 s from `minMs` on, until
 * two samples in a row are within 2 %, or `maxMs`.
 */
export async function settledPss(pids: () => number[], options: { minMs?: number; maxMs?: number } = {}): Promise<number> {
  const { minMs = 15_000, maxMs = 45_000 } = options;
  const started = Date.now();
  await sleep(minMs);
  let previous = memoryOf(pids()).pss;
  while (Date.now() - started < maxMs) {
    await sleep(3000);
    const now = memoryOf(pids()).pss;
    if (Math.abs(now - previous) <= previous * 0.02) return now;
    previous = now;
  }
  return previous;
}
