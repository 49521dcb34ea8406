import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { normalizeServer, withToken, withoutToken } from '../config.js';
import { deviceLogin, type DeviceStarted } from '../device-login.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Session } from '../session.js';

import type { Run } from './action.js';

/** GET /api/me (AUTH-CONTRACT.md). */
interface Me {
  id: string;
  email?: string | null;
  name?: string | null;
  role?: string;
  anonymous?: boolean;
  authMode?: string;
}

/** login, logout, whoami. */
export function accountCommands(program: Command, run: Run): void {
  program
    .command('login')
    .description('sign in to a Codeyard server in the browser (a code to approve; no password here) and keep the token in the config file')
    .option('--no-browser', 'only print the link, do not open a browser')
    .action(run(login));

  program
    .command('logout')
    .description("revoke this machine's token on the server and forget it")
    .action(run(logout));

  program
    .command('whoami')
    .description('the account and server this command acts as')
    .action(run(whoami));
}

async function login(session: Session, options: { browser: boolean }): Promise<void> {
  const { io } = session;
  const server = normalizeServer(session.options.server ?? (io.env.CODEYARD_SERVER || undefined) ?? session.config().current ?? 'http://localhost:8080');
  if (io.env.CODEYARD_TOKEN) session.warn('CODEYARD_TOKEN is set: it overrides the token stored here until you unset it');
  const progress = session.progress();
  const grant = await deviceLogin({
    client: session.anonymousClient(server),
    name: `codeyard CLI on ${io.hostname}`.slice(0, 100),
    sleep: io.sleep,
    signal: io.interrupt,
    prompt: async (start: DeviceStarted) => {
      // The code and link go to stderr even with --json: a person has to see them to sign in.
      io.stderr.write(`To sign in, open ${start.verificationUriComplete}\nand check that it shows the code ${start.userCode}.\n`);
      const opened = options.browser && (await io.openUrl(start.verificationUriComplete));
      io.stderr.write(opened ? 'Opened it in your browser. Waiting for approval…\n' : `(Or open ${start.verificationUri} and type the code.) Waiting for approval…\n`);
      progress.update(`waiting for approval of ${start.userCode}…`);
    },
  }).finally(() => progress.done());
  session.saveConfig(withToken(session.config(), server, grant.token));
  const who = grant.account.email ?? grant.account.name ?? grant.account.id;
  session.result({ server, account: grant.account, tokenId: grant.tokenId }, () => `Signed in to ${server} as ${who}.`);
}

async function logout(session: Session): Promise<void> {
  const target = session.target();
  const stored = session.config().servers[target.server]?.token;
  if (!stored) {
    if (target.tokenFrom === 'CODEYARD_TOKEN') throw new CliError(EXIT.USAGE, 'the token comes from CODEYARD_TOKEN, not from the config file: unset it (revoke it in the portal if it leaked)');
    session.result({ server: target.server, revoked: false, forgotten: false }, () => `Not signed in to ${target.server}; nothing to do.`);
    return;
  }
  let revoked = true;
  try {
    await new ApiClient(target.server, stored, session.io.fetch).request('DELETE', '/api/tokens/current');
  } catch (err) {
    // A token the server no longer knows (401) has nothing left to revoke. Anything else is
    // said, and the token is forgotten here anyway: the user asked to sign this machine out.
    if (!(err instanceof CliError && err.code === 'UNAUTHENTICATED')) {
      revoked = false;
      session.warn(`the server did not revoke the token (${err instanceof Error ? err.message : String(err)}); it is forgotten here, revoke it in the portal`);
    }
  }
  session.saveConfig(withoutToken(session.config(), target.server));
  session.result({ server: target.server, revoked, forgotten: true }, () => `Signed out of ${target.server}.`);
}

async function whoami(session: Session): Promise<void> {
  const client = session.client();
  let me: Me;
  try {
    me = await client.json<Me>('GET', '/api/me');
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.NOT_FOUND) throw new CliError(EXIT.NOT_FOUND, `${client.server} has no /api/me (a Codeyard from before accounts); the token works for its other calls`, err.code);
    throw err;
  }
  const target = session.target();
  session.result({ server: client.server, tokenFrom: target.tokenFrom, ...me }, () => {
    const who = me.email ?? me.name ?? (me.anonymous ? 'an anonymous account' : me.id);
    return `${who}${me.role ? ` (${me.role})` : ''} on ${client.server}${target.tokenFrom === 'CODEYARD_TOKEN' ? ', token from CODEYARD_TOKEN' : ''}`;
  });
}
