import type { FromSchema } from 'json-schema-to-ts';
import type { appStateSchema, errorSchema, replSchema, stackSchema, syncStatusSchema } from '../../../src/api/schemas.js';

/*
 * The API's types, derived from the very schemas the server validates and serializes with:
 * a schema change that the UI does not follow breaks `npm run build`.
 */

export type AppState = FromSchema<typeof appStateSchema>;
export type SyncStatus = FromSchema<typeof syncStatusSchema>;
export type Repl = FromSchema<typeof replSchema, { references: [typeof appStateSchema, typeof syncStatusSchema] }>;
export type Stack = FromSchema<typeof stackSchema>;
export type ApiErrorBody = FromSchema<typeof errorSchema>;
export type ReplStatus = Repl['status'];
export type Visibility = Repl['ports'][number]['visibility'];
export type PortSetting = Pick<Repl['ports'][number], 'port' | 'visibility'>;
