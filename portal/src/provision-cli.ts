import path from 'node:path';
import { ideStaticRootOf, precompressInstall } from '@codeyard/proxy/ide-static';
import { loadConfig } from './config.js';
import { CodeServerProvisioner, ideStaticCacheDir } from './runtime/process/code-server-provision.js';

/**
 * `npm run provision`: installs code-server into the cache ahead of time, with progress, then
 * compresses its static files once (the proxy serves those copies; see ide-static.ts).
 */
const config = loadConfig();
const provisioner = new CodeServerProvisioner(config.cacheDir, config.codeServerBin);
const started = Date.now();
const say = (message: string): boolean => process.stderr.write(`[codeyard] ${message}\n`);
const seconds = (): number => Math.round((Date.now() - started) / 1000);
provisioner
  .ensure(say)
  .then(async (cs) => {
    say(`code-server ${cs.version}: ${[cs.command, ...cs.args].join(' ')} (${seconds()}s)`);
    const install = cs.version === 'external' ? undefined : ideStaticRootOf(path.join(provisioner.codeServerDir, 'node_modules', 'code-server', 'lib', 'vscode'));
    if (!install || !config.ideStatic) return;
    say(`compressing VS Code's static files once (a minute or two, the first time)`);
    const count = await precompressInstall(install, ideStaticCacheDir(config.cacheDir));
    say(`${count} static files compressed (${seconds()}s)`);
  })
  .catch((err: unknown) => {
    say((err as Error).message);
    process.exit(1);
  });
