import type { Accounts } from '../accounts/accounts.js';
import type { Database } from '../db/open-database.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import type { Template } from '../templates/catalog.js';
import { ClassEvents } from './class-events.js';
import { ClassService } from './class-service.js';
import { StudentNotices } from './student-notices.js';

/** The classes of a portal: the service its routes use and the live rows of its dashboards; closed with the portal. */
export interface Classes {
  service: ClassService;
  events: ClassEvents;
  /** The student's status-bar notice when their teacher opens their IDE. */
  notices: StudentNotices;
  close(): void;
}

/** Puts the classes part together from what buildPortal already has (app.ts stays the list of parts). */
export function setUpClasses(deps: {
  database: Database;
  repls: ReplService;
  accounts: Accounts;
  workspaces: WorkspaceStore;
  store: ObjectStore;
  runtime: Runtime;
  templates: ReadonlyMap<string, Template>;
  portalOrigin: string;
  limits: { memoryBytes: number; fileBytes: number; workspaceBytes: number };
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}): Classes {
  const service = new ClassService({
    ...deps,
    classes: deps.database.classes,
    records: deps.database.repls,
    lastActive: (ids) => deps.database.activity.lastActive(ids),
  });
  const events = new ClassEvents({ service, runtime: deps.runtime, bus: deps.database.events, log: deps.log });
  const notices = new StudentNotices({ runtime: deps.runtime, log: deps.log });
  return {
    service,
    events,
    notices,
    close: () => {
      events.close();
      notices.close();
    },
  };
}
