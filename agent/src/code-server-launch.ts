/**
 * Runs code-server's server in this very process: `node code-server-launch.cjs <code-server's
 * out/node/entry.js> <code-server flags…>`.
 *
 * code-server's own entry starts a wrapper process whose only work is to fork the real server
 * (as a child with an IPC channel), hand it the parsed flags, restart it when asked (self-update,
 * SIGUSR1) and copy its output into rotating logs. A repl needs none of that: the agent already
 * keeps code-server running and logs its output, and updates are off. The wrapper costs a whole
 * Node process (~30 MB PSS per repl), so this launcher plays both parts in one: it parses the
 * flags with code-server's own CLI module (same defaults, same config file), then loads the
 * entry as code-server's child, answering the child's one handshake message itself.
 *
 * It works with code-server's `out/node/{entry,cli,wrapper}.js` as of 4.x (the handshake of
 * wrapper.ts: the child sends `{ type: "handshake" }`, the parent answers with the args). The
 * runtime uses it only for the code-server it provisions (a pinned version); an external
 * code-server is started by its own command.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

interface CodeServerCli {
  parse(argv: string[]): Record<string, unknown> & { config?: string };
  readConfigFile(configPath?: string): Promise<unknown>;
  setDefaults(cliArgs: unknown, configArgs: unknown): Promise<unknown>;
}

async function launch(): Promise<void> {
  const entry = process.argv[2];
  if (!entry || !path.isAbsolute(entry)) throw new Error("usage: code-server-launch <code-server's out/node/entry.js> [flags…]");
  // code-server is CommonJS, found only at run time (this file is bundled as CommonJS too).
  const load = createRequire(entry) as (file: string) => unknown;
  const cli = load(path.join(path.dirname(entry), 'cli.js')) as CodeServerCli;
  const cliArgs = cli.parse(process.argv.slice(3));
  const args = await cli.setDefaults(cliArgs, await cli.readConfigFile(cliArgs.config));
  // The child's role, with this process as its own parent: code-server's parent watchdog
  // (`kill(parentPid, 0)` every 5 s) then never fires, and its handshake is answered here.
  process.env.CODE_SERVER_PARENT_PID = String(process.pid);
  process.send = ((message: { type?: string } | undefined): boolean => {
    if (message?.type === 'handshake') setImmediate(() => process.emit('message', { type: 'handshake', args }, undefined));
    // Anything else (a relaunch request after an update) has no parent to go to: updates are off.
    return true;
  }) as typeof process.send;
  load(entry);
}

launch().catch((err: unknown) => {
  process.stderr.write(`code-server-launch: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
