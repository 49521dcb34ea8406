import { Command, CommanderError, Option } from 'commander';
import { accountCommands } from './commands/account.js';
import type { Run } from './commands/action.js';
import { classCommands } from './commands/class.js';
import { fileCommands } from './commands/repl-files.js';
import { lifecycleCommands } from './commands/repl-lifecycle.js';
import { runCommands } from './commands/repl-run.js';
import { secretCommands } from './commands/secret.js';
import { completionScript, type Shell, SHELLS } from './completion.js';
import { CliError, EXIT, EXIT_MEANINGS } from './exit-codes.js';
import { type GlobalOptions, type Io, Session } from './session.js';

export const VERSION = '0.1.0';

/**
 * The whole command tree. `result.code` receives what the action decided (an exit status);
 * a fresh tree per run, since commander keeps parsed values on its commands.
 */
export function buildProgram(io: Io, result: { code: number }): Command {
  const program = new Command('codeyard');
  program
    .description('Drive your Codeyard repls from a terminal or a script.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--json', 'print results as JSON for scripts (stable shapes: the API\'s own objects)'))
    .addOption(new Option('--server <url>', 'the Codeyard server (default: CODEYARD_SERVER, else the one you last signed in to, else http://localhost:8080)'))
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\nEnvironment: CODEYARD_SERVER and CODEYARD_TOKEN override the config file (~/.config/codeyard/config.json, or under $XDG_CONFIG_HOME).\n\nExit status:\n${EXIT_MEANINGS.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n')}\n`)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  const run: Run =
    (action) =>
    async (...args) => {
      // commander passes the arguments, the options, then the command itself.
      const command = args.at(-1) as Command;
      const session = new Session(io, command.optsWithGlobals<GlobalOptions>());
      const code = await action(session, ...args);
      if (typeof code === 'number') result.code = code;
    };

  accountCommands(program, run);
  const repl = program.command('repl').description('your repls: ls, create, start, stop, rm, fork, open, run, stop-app, logs, exec, cp, archive, import');
  lifecycleCommands(repl, run);
  runCommands(repl, run);
  fileCommands(repl, run);
  secretCommands(program, run);
  classCommands(program, run);

  program
    .command('completion')
    .description('print the shell completion script: `source <(codeyard completion bash)`')
    .argument('<shell>', SHELLS.join(', '))
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new CliError(EXIT.USAGE, `completion is for ${SHELLS.join(', ')}, not ${shell}`);
      io.stdout.write(completionScript(program, shell as Shell));
    });

  // Every command and subcommand answers as the program does (output, exit override, help hint).
  for (const command of allCommands(program)) {
    if (command !== program) command.copyInheritedSettings(command.parent ?? program);
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** Runs the command line `argv` (without node and the script); resolves with the exit status. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const result = { code: EXIT.OK as number };
  const program = buildProgram(io, result);
  let json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    json = program.opts<GlobalOptions>().json === true;
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help asked for and the version are answers; anything else commander says (help shown
      // because a subcommand is missing included) is usage.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
      if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return EXIT.USAGE;
    }
    if (io.interrupt.aborted) return EXIT.INTERRUPTED;
    const failure = err instanceof CliError ? err : new CliError(EXIT.ERROR, `unexpected: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: failure.code ?? 'CLI_ERROR', message: failure.message, exitCode: failure.exitCode, ...(failure.details !== undefined ? { details: failure.details } : {}) } }, null, 2)}\n`);
    io.stderr.write(`codeyard: ${failure.message}\n`);
    return failure.exitCode;
  }
}
