import path from 'node:path';
import type { Config } from '../config.js';
import { FsStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';

/**
 * The store the configuration names: `<data>/store` by default, or an S3 bucket. The AWS SDK is
 * loaded only for S3: importing it costs ~75 ms of every start (2-core machine), before the portal listens.
 */
export async function openStore(config: Readonly<Config>): Promise<ObjectStore> {
  if (config.store.kind === 's3') return (await import('./s3-store.js')).S3Store.open(config.store);
  return FsStore.open(path.join(config.dataDir, 'store'));
}
