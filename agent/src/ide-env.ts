import type { AgentConfig } from '@codeyard/common/agent/config';
import { ideInfoVariables } from '@codeyard/common/agent/repl-variables';

/**
 * The environment code-server runs with: the repl's own, plus where the Codeyard VS Code
 * extension finds the agent and what it shows (the app never sees these). The config file
 * itself (its type and its checker) is the contract's: @codeyard/common/agent/config.
 */
export function ideEnv(config: AgentConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, ...config.ide?.env, CODEYARD_AGENT_SOCKET: config.controlSocket, ...(config.info && ideInfoVariables(config.info)) };
}
