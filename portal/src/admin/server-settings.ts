import { isDeepStrictEqual } from 'node:util';
import type { ServerSetting } from '@codeyard/common/api/admin';
import { type Config, redactConfig } from '../config.js';
import { SETTINGS, type Setting } from '../config-table.js';

export const REDACTED = '[redacted]';

/**
 * Names of fields that hold a secret, wherever they sit (a provider's `clientSecret`, a store's
 * `secretAccessKey`, `adminToken`, `signingKey`…): redacted even when redactConfig, which each
 * setting's author keeps, forgot one. Durations and rates (`…Ms`, `…PerMinute`) are not secrets.
 */
const SECRET_KEY = /secret|password|passphrase|token|signingkey|privatekey|credential/i;
const NOT_SECRET_KEY = /(Ms|PerMinute|PerHour|Days)$/;

/** A URL's password (`postgres://user:pw@host`) is a secret too. */
function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, `$1:${REDACTED}@`);
}

/** A copy with every secret-named field and URL password replaced (plain data: what a Config holds). */
export function redactDeep(value: unknown, key = ''): unknown {
  if (value === undefined || value === null) return value ?? null;
  if (key && SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key)) return REDACTED;
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, k)]));
  return value;
}

/** The value an environment with none of the variables set gives; undefined when it cannot be read so (a required setting). */
function defaultOf(setting: Setting<unknown>): { value: unknown } | undefined {
  try {
    return { value: setting.read({}) };
  } catch {
    return undefined;
  }
}

/**
 * The server's settings as the admin page shows them (read only): every row of the config
 * table, its variables and their documented defaults, and the value in effect with secrets
 * redacted twice over (redactConfig, then by field name and URL password).
 */
export function serverSettings(config: Readonly<Config>): ServerSetting[] {
  const redacted = redactConfig(config);
  return (Object.entries(SETTINGS) as Array<[keyof Config, Setting<unknown>]>).map(([key, setting]) => {
    const fallback = defaultOf(setting);
    return {
      key,
      variables: setting.vars.map((v) => ({ name: v.name, default: v.shown, help: v.help })),
      value: redactDeep(redacted[key], key),
      isDefault: fallback !== undefined && isDeepStrictEqual(fallback.value, config[key]),
    };
  });
}
