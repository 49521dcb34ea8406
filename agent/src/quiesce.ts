import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long the repl's processes get to end on SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 1500;
/** Longest the whole job may take: stop must finish in bounded time whatever the repl runs. */
const DEADLINE_MS = 8000;

/** Process ids in this pid namespace that are alive (not zombies), other than init and us. */
export function otherProcesses(procDir = '/proc'): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync(procDir)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`${procDir}/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // The state follows the command name, which is in parentheses and may itself hold any byte.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state !== 'Z' && state !== 'X') pids.push(pid);
  }
  return pids;
}

/**
 * Ends every process of the repl but the agent: the app, one-off commands, VS Code and its
 * terminals, and anything they left behind (daemons, `nohup`, a fork bomb). Why: a stop saves
 * the workspace and then drops the local copy, so nothing may write to it after the last save
 * (the security review lost files rewritten by a background process during a stop).
 *
 * Only inside the repl's own pid namespace (the sandbox, or a pod where the agent is pid 1):
 * there `kill(-1)` reaches exactly the repl's processes, atomically against forks, sparing
 * init and the agent itself. Answers how many were still alive at the start.
 */
export async function endOtherProcesses(options: { deadlineMs?: number } = {}): Promise<{ ended: number; left: number[] }> {
  const deadline = Date.now() + (options.deadlineMs ?? DEADLINE_MS);
  const ended = otherProcesses().length;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-1, name);
    } catch {
      // ESRCH: nobody left to signal
    }
  };
  if (ended > 0) {
    signal('SIGTERM');
    const termUntil = Math.min(deadline, Date.now() + TERM_GRACE_MS);
    while (Date.now() < termUntil && otherProcesses().length) await sleep(50);
  }
  let left = otherProcesses();
  while (left.length && Date.now() < deadline) {
    signal('SIGKILL');
    await sleep(25);
    left = otherProcesses();
  }
  return { ended, left };
}
