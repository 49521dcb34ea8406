import type { Accounts } from '../accounts/accounts.js';
import type { ActivitySink } from '@codeyard/proxy/repl-proxy';
import type { AlwaysOn } from '../repls/always-on.js';
import type { CapacityGate } from '../capacity/capacity-gate.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Template } from '../templates/catalog.js';
import type { ApiTokens } from '../tokens/api-tokens.js';
import type { DeviceFlow } from '../tokens/device-flow.js';

/** What the route plugins work with: the services and the few settings routes enforce. */
export interface ApiContext {
  accounts: Accounts;
  repls: ReplService;
  alwaysOn: AlwaysOn;
  /** Where use of a repl is recorded (idle stop); undefined when idle stop is off. */
  activity?: ActivitySink;
  /** Admission against this machine's capacity: the line of waiting starts, what repls use. */
  capacity: CapacityGate;
  runtime: Runtime;
  store: ObjectStore;
  templates: ReadonlyMap<string, Template>;
  /** The portal's origin, e.g. http://localhost:8080. */
  portalOrigin: string;
  secureCookies: boolean;
  maxFileBytes: number;
  importMaxBytes: number;
  sessionsPerMinute: number;
  /** Personal API tokens and device sign-in (issue #14). */
  tokens: ApiTokens;
  deviceFlow: DeviceFlow;
  deviceCodesPerMinute: number;
}
