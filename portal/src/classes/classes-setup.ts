import type { Database } from '../db/open-database.js';
import { ClassEvents } from './class-events.js';
import { ClassService, type ClassServiceOptions } from './class-service.js';
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
export function setUpClasses(deps: Omit<ClassServiceOptions, 'classes' | 'records' | 'lastActive'> & { database: Database }): Classes {
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
