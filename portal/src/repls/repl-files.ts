import type { AgentClient } from '@codeyard/common/agent/client';
import type { FileEntry } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';
import type { Runtime } from '../runtime/runtime.js';
import type { WorkspaceStore } from '../store/workspace-store.js';

/**
 * A repl's files for the API: the live workspace (through the agent) while the repl runs, the
 * stored copy while it is stopped, and a clear refusal while they move between the two. The
 * owner check is the service's (`owned` throws NOT_FOUND for anyone else).
 */
export class ReplFiles {
  constructor(
    private readonly o: {
      runtime: Runtime;
      workspaces: WorkspaceStore;
      /** The stored copy is held to the same size as the sandbox's quota. */
      workspaceBytes: number;
      owned(owner: string, id: string): Promise<unknown>;
      agent(id: string): AgentClient;
    },
  ) {}

  async #mode(owner: string, id: string): Promise<{ agent?: AgentClient; prefix: string }> {
    await this.o.owned(owner, id);
    const state = this.o.runtime.status(id).state;
    if (state === 'running') return { agent: this.o.agent(id), prefix: `workspaces/${id}/` };
    if (state === 'starting' || state === 'stopping') {
      throw new AppError('CONFLICT', `repl ${id} is ${state}; its files are moving between the store and the workspace. Try again in a few seconds`);
    }
    return { prefix: `workspaces/${id}/` };
  }

  async list(owner: string, id: string, dir: string): Promise<FileEntry[]> {
    const rel = checkRelativePath(dir, 'dir', true);
    const { agent, prefix } = await this.#mode(owner, id);
    return agent ? agent.listFiles(rel) : this.o.workspaces.listDir(prefix, rel);
  }

  async read(owner: string, id: string, file: string): Promise<Buffer> {
    const rel = checkRelativePath(file, 'path');
    const { agent, prefix } = await this.#mode(owner, id);
    return agent ? agent.readFile(rel) : this.o.workspaces.readFile(prefix, rel);
  }

  async write(owner: string, id: string, file: string, body: Buffer): Promise<{ created: boolean }> {
    const rel = checkRelativePath(file, 'path');
    const { agent, prefix } = await this.#mode(owner, id);
    return agent ? agent.writeFile(rel, body) : this.o.workspaces.writeFile(prefix, rel, body, this.o.workspaceBytes);
  }

  async delete(owner: string, id: string, file: string): Promise<void> {
    const rel = checkRelativePath(file, 'path');
    const { agent, prefix } = await this.#mode(owner, id);
    return agent ? agent.deleteFile(rel) : this.o.workspaces.deleteFile(prefix, rel);
  }
}
