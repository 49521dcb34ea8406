import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The environment of everything that runs in a repl, built from nothing: the portal's own
 * variables (its signing key, cloud credentials, anything) are never inherited. Toolchain
 * managers that locate themselves through $HOME (rustup, pyenv) are pointed at the host's
 * install explicitly, since $HOME is the repl's own.
 */
export function buildReplEnv(options: { replId: string; home: string; port: number; hostEnv?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  const host = options.hostEnv ?? process.env;
  const hostHome = os.homedir();
  const env: NodeJS.ProcessEnv = {
    HOME: options.home,
    USER: os.userInfo().username,
    LOGNAME: os.userInfo().username,
    SHELL: fs.existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh',
    PATH: host.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    XDG_CONFIG_HOME: path.join(options.home, '.config'),
    XDG_DATA_HOME: path.join(options.home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(options.home, '.cache'),
    PORT: String(options.port),
    HOST: '0.0.0.0',
    CODEYARD_REPL_ID: options.replId,
  };
  const located: Array<[string, string]> = [
    ['RUSTUP_HOME', path.join(hostHome, '.rustup')],
    ['PYENV_ROOT', path.join(hostHome, '.pyenv')],
  ];
  for (const [name, fallback] of located) {
    const value = host[name] ?? (fs.existsSync(fallback) ? fallback : undefined);
    if (value) env[name] = value;
  }
  if (host.GOROOT) env.GOROOT = host.GOROOT;
  return env;
}
