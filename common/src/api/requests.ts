/**
 * What the portal's HTTP API takes: path parameters, query strings and JSON bodies, as TypeBox
 * schemas. The server validates with them (unknown fields are an error: every body object says
 * `additionalProperties: false`), and the web UI types its calls from them.
 */
import { type Static, type TObject, type TUnsafe, Type } from 'typebox';
import { EXEC_MAX_TIMEOUT_MS } from '../agent/protocol.js';
import { REPL_ID_PATTERN } from '../repl-id.js';
import { stringEnum, VISIBILITIES } from './models.js';

/** An object body that may also be sent as JSON `null` (or left out): `{ type: ['object', 'null'] }`. */
function objectOrNull<T extends TObject>(schema: T): TUnsafe<Static<T> | null | undefined> {
  return Type.Unsafe<Static<T> | null | undefined>({ ...schema, type: ['object', 'null'] });
}

const strict = { additionalProperties: false } as const;
const name = (options: { description?: string } = {}) => Type.String({ minLength: 1, maxLength: 64, ...options });
const portNumber = () => Type.Integer({ minimum: 1, maximum: 65535 });

export const ReplIdParams = Type.Object({ id: Type.String({ pattern: REPL_ID_PATTERN.source, description: 'repl id' }) });
export const PortParams = Type.Object({ ...ReplIdParams.properties, port: portNumber() });
export const FileParams = Type.Object({ ...ReplIdParams.properties, '*': Type.String({ description: 'workspace-relative file path' }) });

export const CreateReplBody = Type.Object(
  {
    stack: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(name({ description: 'default: a two-word name no other repl of the account has (e.g. brave-otter)' })),
    start: Type.Optional(
      Type.Boolean({
        description:
          'the caller starts it right after (as the dashboard does): when the account already runs as many repls as it may, refused (409 LIMIT_REACHED, details.running: those repls) before anything is made',
      }),
    ),
  },
  strict,
);
/** PATCH /api/repls/:id: a new name, always on or off, or both (at least one). */
export const ChangeReplBody = Type.Object(
  { name: Type.Optional(name()), alwaysOn: Type.Optional(Type.Boolean({ description: 'keep the repl running with nobody watching (uses one of the account\'s always-on allowance)' })) },
  { ...strict, minProperties: 1 },
);
export const AccountIdParams = Type.Object({ id: Type.String({ pattern: '^u[0-9a-f]{20}$', description: 'account id' }) });
/** PUT /api/admin/accounts/:id/always-on: how many repls the account may keep always on (DELETE: back to the configured default). */
export const AlwaysOnAllowanceBody = Type.Object({ allowance: Type.Integer({ minimum: 0, maximum: 10_000 }) }, strict);
export const ForkReplBody = objectOrNull(Type.Object({ name: Type.Optional(name()) }, strict));
export const IdeLinkBody = objectOrNull(
  Type.Object(
    {
      port: Type.Optional(portNumber()),
      bar: Type.Optional(Type.Boolean({ description: "false: VS Code without the Codeyard bar (a client with its own Run controls, like the desktop app's toolbar); the IDE only" })),
    },
    strict,
  ),
);
export const PortVisibilityBody = Type.Object({ visibility: stringEnum(VISIBILITIES) }, strict);
export const ExecBody = Type.Object({ command: Type.String({ minLength: 1, maxLength: 16384 }), timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: EXEC_MAX_TIMEOUT_MS })) }, strict);

export const ARCHIVE_FORMATS = ['tar.gz', 'zip'] as const;
export const ArchiveQuery = Type.Object({ format: Type.Optional(stringEnum(ARCHIVE_FORMATS)) }, strict);
export const ImportQuery = Type.Object({ stack: Type.String({ minLength: 1, maxLength: 64 }), name: Type.Optional(name()) }, strict);
export const FilesQuery = Type.Object({ dir: Type.Optional(Type.String({ maxLength: 900 })) });
/** GET /api/repls/:id/app/logs without an Upgrade: the log as text, or with `follow` its frames as server-sent events. */
export const AppLogsQuery = Type.Object(
  { follow: Type.Optional(Type.Boolean({ description: 'keep the answer open: server-sent events `output` and `state` (LogFrames, backlog first), `end` when the repl stops' })) },
  strict,
);

export const SessionReply = Type.Object({ token: Type.String() });
export const AlwaysOnAllowanceReply = Type.Object({
  account: Type.String(),
  allowance: Type.Integer({ description: 'repls the account may keep always on now' }),
  override: Type.Union([Type.Integer(), Type.Null()], { description: "the account's own allowance; null: CODEYARD_ALWAYS_ON_PER_ACCOUNT applies" }),
  using: Type.Integer({ description: 'repls of the account always on now' }),
});
export const IdeLinkReply = Type.Object({ url: Type.String() });
export const FileWrittenReply = Type.Object({ path: Type.Optional(Type.String()), created: Type.Optional(Type.Boolean()) });

export type CreateRepl = Static<typeof CreateReplBody>;
export type ChangeRepl = Static<typeof ChangeReplBody>;
export type ForkRepl = Static<typeof ForkReplBody>;
export type PortVisibilityChange = Static<typeof PortVisibilityBody>;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];


/**
 * What POST /api/repls/import takes as its body's type: the archive formats, or plain bytes.
 * Anything else (a form, text/plain) is answered 415: no cross-site form can post an import.
 */
export const IMPORT_TYPES = ['application/gzip', 'application/x-gzip', 'application/zip', 'application/x-zip-compressed', 'application/octet-stream'];

/**
 * `error.details` of a 409 LIMIT_REACHED: which limit, its value, and for the running limit the
 * repls that hold it (a client offers to stop one of them).
 */
export type LimitReachedDetails = { limit: 'repls'; max: number } | { limit: 'running'; max: number; running: Array<{ id: string; name: string }> };
