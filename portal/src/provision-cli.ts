import { loadConfig } from './config.js';
import { CodeServerProvisioner } from './runtime/process/code-server-provision.js';

/** `npm run provision`: installs code-server into the cache ahead of time, with progress. */
const config = loadConfig();
const provisioner = new CodeServerProvisioner(config.cacheDir, config.codeServerBin);
const started = Date.now();
provisioner
  .ensure((message) => process.stderr.write(`[codeyard] ${message}\n`))
  .then((cs) => {
    process.stderr.write(`[codeyard] code-server ${cs.version}: ${[cs.command, ...cs.args].join(' ')} (${Math.round((Date.now() - started) / 1000)}s)\n`);
  })
  .catch((err: unknown) => {
    process.stderr.write(`[codeyard] ${(err as Error).message}\n`);
    process.exit(1);
  });
