import { originFor } from '@codeyard/common/hostnames';
import { Accounts } from './accounts/accounts.js';
import { OwnerLink, ownerLink } from './accounts/owner.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/open-database.js';

/**
 * `npm run owner-link`: prints a new owner link (owner mode). While the server has no owner it
 * makes that browser the owner, as the link printed at start does; once it has one, it signs
 * that browser in as the owner: the way back in for an owner who signed out or lost the
 * browser. It needs the server's database (its data folder or CODEYARD_DATABASE_URL), which
 * only someone on the server has; the previous owner code stops working.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.authMode !== 'owner') throw new Error(`owner links are for CODEYARD_AUTH=owner; this configuration says ${config.authMode}`);
  const log = { info() {}, error: (obj: object, msg: string) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`) };
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, log });
  try {
    const owner = new OwnerLink({ meta: database.meta, accounts: new Accounts(database.accounts, database.sessions), repls: database.repls, log });
    const existing = await owner.owner();
    const origin = originFor(config.domain, { domain: config.domain, previewDomain: config.previewDomain, scheme: config.publicScheme, port: config.publicPort });
    const link = ownerLink(origin, await owner.issueCode());
    process.stdout.write(`${existing ? 'Sign in as the owner again' : 'Sign in as the owner'}: ${link}\n`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`codeyard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
