import path from 'node:path';
import type { Config } from '../config.js';
import { FsStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';
import { S3Store } from './s3-store.js';

/** The store the configuration names: `<data>/store` by default, or an S3 bucket. */
export function openStore(config: Readonly<Config>): Promise<ObjectStore> {
  if (config.store.kind === 's3') return S3Store.open(config.store);
  return FsStore.open(path.join(config.dataDir, 'store'));
}
