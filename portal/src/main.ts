import { signInLines } from './accounts/first-sign-in.js';
import { adminLink } from './api/admin-auth.js';
import { createCodeyard } from './codeyard.js';
import { ConfigError, loadConfig } from './config.js';
import { helpText } from './config-docs.js';
import { ManifestError } from './templates/manifest.js';

/** `npm start`: portal + proxy + process runtime + fs store on one port. */
async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  const config = loadConfig();
  const codeyard = await createCodeyard(config);
  const { portal } = codeyard;

  await codeyard.listen();
  process.stderr.write(`\nCodeyard is running: open ${portal.origin}\n`);
  for (const line of signInLines(config.authMode, codeyard.firstSignIn, portal.origin)) process.stderr.write(`${line}\n`);
  // The token rides in the fragment, which the browser keeps to itself; the page sends it as a bearer header.
  process.stderr.write(`Admin page with this machine's admin token (admin accounts sign in and open /admin): ${adminLink(portal.origin, codeyard.adminToken)}\n\n`);

  // code-server fetched for the process runtime (never with kubernetes: the images hold it), and the warm pool.
  await codeyard.startBackground((message) => process.stderr.write(`[codeyard] ${message}\n`));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C does not wait: what is not saved yet stays on disk and is saved at the next start.
      process.stderr.write(`\n[codeyard] ${signal} again: exiting now; unsaved files stay on this machine and are saved at the next start\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n[codeyard] ${signal}: stopping repls (files are saved; press Ctrl-C again to exit at once)…\n`);
    void (async () => {
      await codeyard.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ManifestError) {
    process.stderr.write(`codeyard: ${err.message}\n`);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`codeyard: port ${(err as { port?: number }).port ?? ''} is in use: stop what uses it or set PORT to another port\n`);
  } else {
    process.stderr.write(`codeyard: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1);
});
