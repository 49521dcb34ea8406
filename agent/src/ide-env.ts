import type { AgentConfig } from '@codeyard/common/agent/config';

/**
 * The environment code-server runs with: the repl's own, plus where the Codeyard VS Code
 * extension finds the agent and what it shows (the app never sees these). The config file
 * itself (its type and its checker) is the contract's: @codeyard/common/agent/config.
 */
export function ideEnv(config: AgentConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const ide: NodeJS.ProcessEnv = { ...env, CODEYARD_AGENT_SOCKET: config.controlSocket };
  if (config.info) {
    ide.CODEYARD_REPL_NAME = config.info.name;
    ide.CODEYARD_STACK = config.info.stack;
    ide.CODEYARD_APP_PORT = String(config.info.port);
    ide.CODEYARD_PREVIEW_URL = config.info.previewUrl;
  }
  return ide;
}
