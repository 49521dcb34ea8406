import fs from 'node:fs';
import path from 'node:path';
import type { TestPortal } from './test-portal.js';

/** The processes of one running repl: those carrying its instance marker. */
export function replPids(t: TestPortal, id: string): number[] {
  const { instance } = JSON.parse(fs.readFileSync(path.join(t.dataDir, 'repls', id, 'pids.json'), 'utf8')) as { instance: string };
  const marker = `CODEYARD_INSTANCE=${instance}`;
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** A process's command line, arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** A process's environment ({} once it is gone). */
export function environmentOf(pid: number): Record<string, string> {
  try {
    const entries = fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
    return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  } catch {
    return {};
  }
}
