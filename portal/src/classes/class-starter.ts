import { AgentClient } from '@codeyard/common/agent/client';
import type { ClassStarter } from '@codeyard/common/api/classes';
import { AppError, describeError } from '@codeyard/common/errors';
import type { ReplRecord } from '../repls/repl-record.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import { type Template, templatePrefix } from '../templates/catalog.js';

/**
 * Where a class keeps its starter: a copy made once when the class is made, so every student's
 * repl (now, added later, or reset) starts from the same files even if the teacher's repl moves on.
 */
export const starterPrefix = (classId: string): string => `classes/${classId}/starter/`;

/** What a class's student repls are made as: a stack's manifest and template version, and where its files are. */
export interface ResolvedStarter {
  starter: ClassStarter & { stack: string };
  manifest: ReplRecord['manifest'];
  templateVersion: string;
  /** The files to copy into the class's starter. */
  source: string;
  /** The teacher's repl, when it is one: saved first if it runs. */
  repl?: string;
}

/**
 * A starter as the teacher named it, checked: a known, available stack (400 UNKNOWN_STACK
 * naming the known ones), or one of the teacher's own repls (400 naming the id otherwise: a
 * repl of someone else is answered as one that does not exist).
 */
export async function resolveStarter(
  starter: ClassStarter,
  teacher: string,
  deps: { templates: ReadonlyMap<string, Template>; runtime: Runtime; repls: ReplService },
): Promise<ResolvedStarter> {
  if ('repl' in starter) {
    const record = await deps.repls.get(teacher, starter.repl).catch(() => undefined);
    if (!record) throw new AppError('VALIDATION', `starter.repl: you have no repl ${starter.repl}; name one of your own repls (GET /api/repls) or a stack`);
    return { starter: { repl: record.id, stack: record.stack }, manifest: record.manifest, templateVersion: record.templateVersion, source: `workspaces/${record.id}/`, repl: record.id };
  }
  const template = deps.templates.get(starter.stack);
  if (!template) throw new AppError('UNKNOWN_STACK', `starter.stack: unknown stack ${JSON.stringify(starter.stack)}; known stacks: ${[...deps.templates.keys()].join(', ')}`);
  const availability = await deps.runtime.checkStack(template.manifest);
  if (!availability.available) throw new AppError('STACK_UNAVAILABLE', `starter.stack: the ${template.manifest.name} stack is not available here: ${availability.reason}`);
  return { starter: { stack: starter.stack }, manifest: template.manifest, templateVersion: template.version, source: templatePrefix(starter.stack, template.version) };
}

/** Copies the starter's files into the class (a running teacher repl saves first, so the copy has its latest files). */
export async function snapshotStarter(resolved: ResolvedStarter, classId: string, deps: { runtime: Runtime; workspaces: WorkspaceStore; fileBytes: number }): Promise<void> {
  const endpoints = resolved.repl ? deps.runtime.endpoints(resolved.repl) : undefined;
  if (endpoints) {
    try {
      await new AgentClient(endpoints.agent, { maxFileBytes: deps.fileBytes }).flushSync(120_000);
    } catch (err) {
      throw new AppError('UNAVAILABLE', `the starter repl's latest changes could not be saved first (${describeError(err)}); try again in a moment`);
    }
  }
  await deps.workspaces.copy(resolved.source, starterPrefix(classId));
}
