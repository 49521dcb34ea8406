import { ApiError } from '../../api/api-client.js';
import type { LimitReachedDetails } from '../../api/types.js';
import type { RunningLimitOffer } from './running-limit.js';

/** The offer to make when `err` is the running limit's refusal (409 LIMIT_REACHED, details.limit 'running'); undefined otherwise. */
export function runningLimitOffer(err: unknown, stack: string): RunningLimitOffer | undefined {
  if (!(err instanceof ApiError) || err.code !== 'LIMIT_REACHED') return undefined;
  const details = err.details as LimitReachedDetails | undefined;
  if (details?.limit !== 'running' || !details.running.length) return undefined;
  return { stack, max: details.max, running: details.running };
}
