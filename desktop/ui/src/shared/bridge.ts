import type { DesktopBridge } from '../../../src/shared/ipc-channels.js';

export type { ConnectionState, Prompt, ServerSummary, ServersState, SignInProgress, ToolbarState } from '../../../src/shared/ipc-channels.js';

declare global {
  interface Window {
    /** Given by the preload (src/preload/preload.cts); in the browser tests, by the test. */
    codeyard: DesktopBridge;
  }
}

/** The main process's functions, as the preload hands them to the page. */
export const bridge = (): DesktopBridge => window.codeyard;
