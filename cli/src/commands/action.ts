import type { Session } from '../session.js';

/**
 * Wraps a command's action for commander: the action gets this run's Session first, then
 * commander's arguments and options; what it returns (a number) is the exit status.
 */
export type Run = <A extends unknown[]>(action: (session: Session, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>;
