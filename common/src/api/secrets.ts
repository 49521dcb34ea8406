/**
 * A repl's secrets as the portal's HTTP API takes and answers them (TypeBox). Values are
 * write-only: the API never sends one back (the repl's own environment has them), so a leaked
 * read-scoped token or a shoulder-surfed dashboard shows names only. Only the repl's owner may
 * list, set or delete them. Rules for names and values: ../secrets.ts.
 */
import { type Static, Type } from 'typebox';
import { SECRET_NAME_MAX, SECRET_NAME_PATTERN, SECRET_VALUE_MAX_BYTES } from '../secrets.js';

const strict = { additionalProperties: false } as const;

export const SecretParams = Type.Object({
  id: Type.String({ description: 'repl id' }),
  name: Type.String({ minLength: 1, maxLength: SECRET_NAME_MAX, pattern: SECRET_NAME_PATTERN.source, description: 'the variable name' }),
});

export const SetSecretBody = Type.Object(
  { value: Type.String({ maxLength: SECRET_VALUE_MAX_BYTES, description: `the value (at most ${SECRET_VALUE_MAX_BYTES / 1024} KiB as UTF-8, no NUL)` }) },
  strict,
);

export const SecretEntrySchema = Type.Object({
  name: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const SecretListSchema = Type.Object({
  secrets: Type.Array(SecretEntrySchema, { description: 'by name' }),
  /**
   * Whether the running repl has the current set (false: it runs with an older one until the
   * portal reaches its agent again; absent: the repl is not running).
   */
  applied: Type.Optional(Type.Boolean()),
});

export type SetSecret = Static<typeof SetSecretBody>;
export type SecretEntry = Static<typeof SecretEntrySchema>;
export type SecretList = Static<typeof SecretListSchema>;
