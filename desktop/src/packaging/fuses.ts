import path from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

/**
 * The fuses flipped in every packaged build (https://www.electronjs.org/docs/latest/tutorial/fuses),
 * as Electron's security checklist and electron/fiddle set them: the binary cannot be used as a
 * plain Node.js (RunAsNode, NODE_OPTIONS, --inspect), cookies are encrypted on disk with the OS's
 * key, the app loads only from its ASAR archive, whose integrity is checked where Electron
 * supports it (macOS and Windows), and file:// pages get no extra privileges.
 */
export const FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: false,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
} as const satisfies FuseV1Config;

/** What electron-builder's afterPack hook tells about the app it just laid out. */
export interface PackedApp {
  electronPlatformName: string;
  appOutDir: string;
  /** `packager.appInfo.productFilename` (macOS bundle, Windows .exe). */
  productFilename: string;
  /** `packager.executableName` (Linux). */
  executableName: string;
  /** electron-builder's Arch enum: 3 is arm64. */
  arch: number;
}

/** The file whose fuses are flipped: the .app bundle on macOS, the .exe on Windows, the binary on Linux. */
export function executableOf(app: PackedApp): string {
  if (app.electronPlatformName === 'darwin' || app.electronPlatformName === 'mas') return path.join(app.appOutDir, `${app.productFilename}.app`);
  if (app.electronPlatformName === 'win32') return path.join(app.appOutDir, `${app.productFilename}.exe`);
  return path.join(app.appOutDir, app.executableName);
}

/** Flips FUSES in a packed app (before signing: electron-builder signs after afterPack). */
export async function flipAppFuses(app: PackedApp, flip: typeof flipFuses = flipFuses): Promise<void> {
  // arm64 macOS binaries carry an ad-hoc signature that the change breaks; it is redone.
  await flip(executableOf(app), { ...FUSES, resetAdHocDarwinSignature: app.electronPlatformName === 'darwin' && app.arch === 3 });
}
