import * as vscode from 'vscode';
import { dashboardUrl, localLinks, previewUrlOfLink } from './preview-links.js';
import type { ReplEnv } from './present.js';

/**
 * What frames the editor in a repl, beside Run: the Preview button of the status bar, links the
 * app prints that lead to the repl's preview URL (not code-server's `/proxy/<port>/`), the way
 * back to the dashboard, and F5 as Codeyard's Run where the workspace has no debugger
 * configuration (context key `codeyard.debugConfigured`, see package.json's keybindings).
 */
export function installIdeFrame(info: ReplEnv, openPreview: (url: string) => void, log: vscode.LogOutputChannel): vscode.Disposable {
  const disposables: vscode.Disposable[] = [];

  const previewItem = vscode.window.createStatusBarItem('codeyard.preview', vscode.StatusBarAlignment.Left, 997);
  previewItem.name = 'Codeyard Preview';
  previewItem.text = '$(open-preview) Preview';
  previewItem.tooltip = 'Open the app preview beside the editor';
  previewItem.command = 'codeyard.openPreview';
  previewItem.show();
  disposables.push(previewItem);

  disposables.push(
    vscode.window.registerTerminalLinkProvider({
      provideTerminalLinks(context): Array<vscode.TerminalLink & { url: string }> {
        const links = localLinks(context.line).flatMap((link) => {
          const url = previewUrlOfLink(link, info);
          return url ? [{ startIndex: link.start, length: link.length, tooltip: `Open the preview: ${url}`, url }] : [];
        });
        if (links.length) log.info(`terminal links: ${links.map((l) => l.url).join(', ')}`);
        return links;
      },
      handleTerminalLink(link: vscode.TerminalLink & { url: string }) {
        log.info(`terminal link opened in the preview: ${link.url}`);
        openPreview(link.url);
      },
    }),
    vscode.commands.registerCommand('codeyard.openDashboard', () => openDashboard(info)),
  );

  // F5 runs the app unless the workspace says how to debug it (a launch.json of its own).
  const launchFiles = vscode.workspace.createFileSystemWatcher('**/.vscode/launch.json');
  const checkLaunch = async (): Promise<void> => {
    const found = await vscode.workspace.findFiles('**/.vscode/launch.json', '**/node_modules/**', 1);
    void vscode.commands.executeCommand('setContext', 'codeyard.debugConfigured', found.length > 0);
  };
  void checkLaunch();
  disposables.push(launchFiles, launchFiles.onDidCreate(checkLaunch), launchFiles.onDidDelete(checkLaunch));

  return vscode.Disposable.from(...disposables);
}

/** Opens the portal's dashboard in a browser tab of its own. */
async function openDashboard(info: ReplEnv): Promise<void> {
  const url = dashboardUrl(info);
  if (!url) return void vscode.window.showWarningMessage('Codeyard: where the dashboard is is not known in this workspace');
  await vscode.env.openExternal(unforwarded(vscode.Uri.parse(url)));
}

/**
 * VS Code in code-server takes any `http://localhost:<port>` it opens for a port of the remote
 * machine and rewrites it to its own `/proxy/<port>/` on the IDE's host. The portal on this
 * machine's localhost is not such a port: its host is written in capitals, which VS Code's
 * exact-match check lets through and the browser reads as `localhost` again.
 */
export function unforwarded(uri: vscode.Uri): vscode.Uri {
  return /^localhost:\d+$/.test(uri.authority) ? uri.with({ authority: uri.authority.replace('localhost', 'LOCALHOST') }) : uri;
}
