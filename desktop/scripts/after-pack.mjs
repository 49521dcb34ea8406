// electron-builder's afterPack hook (electron-builder.json): flips the Electron fuses of the
// packed app (desktop/src/packaging/fuses.ts, built by `npm run build`) before it is signed.
import { flipAppFuses } from '../dist/src/packaging/fuses.js';

export default async function afterPack(context) {
  await flipAppFuses({
    electronPlatformName: context.electronPlatformName,
    appOutDir: context.appOutDir,
    productFilename: context.packager.appInfo.productFilename,
    executableName: context.packager.executableName,
    arch: context.arch,
  });
}
