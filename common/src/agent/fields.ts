import { AppError } from '../errors.js';

/**
 * Reads a JSON value field by field for the agent contract's checkers (the config file, request
 * bodies): each wrong field fails with an AppError('VALIDATION') that names it by its full path
 * (`info.port must be …`), so a malformed file or body says exactly what to fix.
 */
export class Fields {
  private constructor(
    private readonly value: Record<string, unknown>,
    private readonly at: string,
  ) {}

  /** `value` as an object; `name` is what it is called in the message ("the request body"). */
  static of(value: unknown, name: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('VALIDATION', `${name} must be a JSON object`);
    return new Fields(value as Record<string, unknown>, '');
  }

  #name(key: string): string {
    return this.at ? `${this.at}.${key}` : key;
  }

  #fail(key: string, rule: string): never {
    throw new AppError('VALIDATION', `${this.#name(key)} must be ${rule}`, { field: this.#name(key) });
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  /** A string; empty only when `allowEmpty`. */
  string(key: string, options: { allowEmpty?: boolean } = {}): string {
    const v = this.value[key];
    if (typeof v !== 'string' || (!options.allowEmpty && v.length === 0)) this.#fail(key, options.allowEmpty ? 'a string' : 'a non-empty string');
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key, { allowEmpty: true }) : undefined;
  }

  /** A string that passes `check` (described by `rule`). */
  matching<T extends string>(key: string, check: (v: unknown) => v is T, rule: string): T {
    const v = this.value[key];
    if (!check(v)) this.#fail(key, rule);
    return v;
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.#fail(key, max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
    return v;
  }

  optionalInteger(key: string, min: number, max?: number): number | undefined {
    return this.has(key) ? this.integer(key, min, max) : undefined;
  }

  optionalBoolean(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.value[key];
    if (typeof v !== 'boolean') this.#fail(key, 'true or false');
    return v;
  }

  stringArray(key: string): string[] {
    const v = this.value[key];
    if (!Array.isArray(v) || !v.every((item) => typeof item === 'string')) this.#fail(key, 'an array of strings');
    return [...(v as string[])];
  }

  /** A nested object, read with the same rules (its fields named `key.field`). */
  object(key: string): Fields {
    const v = this.value[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.#fail(key, 'an object');
    return new Fields(v as Record<string, unknown>, this.#name(key));
  }

  optionalObject(key: string): Fields | undefined {
    return this.has(key) ? this.object(key) : undefined;
  }

  /** An optional object whose every value is a string (environment variables). */
  optionalStringRecord(key: string): Record<string, string> | undefined {
    if (!this.has(key)) return undefined;
    const v = this.record(key);
    if (!Object.values(v).every((item) => typeof item === 'string')) this.#fail(key, 'an object of strings');
    return v as Record<string, string>;
  }

  /** A nested object taken as it is (free-form, e.g. VS Code settings). */
  record(key: string): Record<string, unknown> {
    this.object(key);
    return { ...(this.value[key] as Record<string, unknown>) };
  }
}

/** Drops the keys whose value is undefined, so a parsed value equals what was written. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
