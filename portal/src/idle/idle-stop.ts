import type { PortalDeps } from '../app.js';
import type { Database } from '../db/open-database.js';
import type { ReplService } from '../repls/repl-service.js';
import { ActivityTracker } from './activity-tracker.js';
import { IdleSweeper, idleIntervalMs } from './idle-sweeper.js';

/**
 * Idle stop (CODEYARD_IDLE_MINUTES; none when 0): what this portal sees of each repl's use, in
 * memory and written to the database about once a minute, and the sweeper that stops the repls
 * it runs once nobody, through any portal, has used them for that long.
 */
export function idleStop(deps: PortalDeps, repls: ReplService, database: Database): { tracker: ActivityTracker; sweeper: IdleSweeper } | undefined {
  const { config, runtime, log } = deps;
  if (config.idleStopMs <= 0) return undefined;
  const every = idleIntervalMs(config.idleStopMs);
  const tracker = new ActivityTracker({ repository: database.activity, flushMs: every, forgetAfterMs: 2 * config.idleStopMs, log });
  // A deleted repl's activity row goes with it.
  database.events.subscribe((event) => {
    if (event.kind === 'deleted') void database.activity.forget(event.id).catch(() => undefined);
  });
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
