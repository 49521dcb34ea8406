import type { PortalDeps } from '../app.js';
import type { Database } from '../db/open-database.js';
import type { ReplService } from '../repls/repl-service.js';
import { ActivityTracker } from './activity-tracker.js';
import { IdleSweeper, idleIntervalMs } from './idle-sweeper.js';

/** How often activity is written with idle stop off (the grader still asks whether a repl was opened while graded). */
const FLUSH_WITHOUT_IDLE_STOP_MS = 60_000;

/**
 * Idle stop (CODEYARD_IDLE_MINUTES; no sweeper when 0): what this portal sees of each repl's use,
 * in memory and written to the database about once a minute, and the sweeper that stops the repls
 * it runs once nobody, through any portal, has used them for that long. The activity is kept even
 * with idle stop off: autograde leaves running a repl someone opened while it was graded.
 */
export function idleStop(deps: PortalDeps, repls: ReplService, database: Database): { tracker: ActivityTracker; sweeper?: IdleSweeper } {
  const { config, runtime, log } = deps;
  const every = config.idleStopMs > 0 ? idleIntervalMs(config.idleStopMs) : FLUSH_WITHOUT_IDLE_STOP_MS;
  const tracker = new ActivityTracker({ repository: database.activity, flushMs: every, forgetAfterMs: 2 * Math.max(config.idleStopMs, every), log });
  // A deleted repl's activity row goes with it.
  database.events.subscribe((event) => {
    if (event.kind === 'deleted') void database.activity.forget(event.id).catch(() => undefined);
  });
  if (config.idleStopMs <= 0) return { tracker };
  const sweeper = new IdleSweeper({
    runtime,
    tracker,
    activity: database.activity,
    record: (id) => repls.record(id),
    stop: async (record) => void (await repls.stop(record.owner, record.id)),
    idleMs: config.idleStopMs,
    // The tracker's flush interval, plus its timer's own lateness.
    sharedLagMs: 2 * every,
    log,
  });
  return { tracker, sweeper };
}
