import { spawn } from 'node:child_process';

/**
 * How to open a URL in the user's browser on this platform, or nothing where there is no
 * desktop to open it on (a server over SSH): the URL is printed in any case.
 */
export function browserCommand(url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  if (env.BROWSER) return { command: env.BROWSER, args: [url] };
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start` is a cmd built-in; its first quoted argument is a window title, hence the "".
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return { command: 'xdg-open', args: [url] };
  return undefined;
}

/** Starts the browser and does not wait for it; false when none could be started (never throws). */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const how = browserCommand(url, platform, env);
  if (!how) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const child = spawn(how.command, how.args, { detached: true, stdio: 'ignore', windowsHide: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
