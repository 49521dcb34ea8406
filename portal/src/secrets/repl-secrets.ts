import type { SecretEntry, SecretList } from '@codeyard/common/api/secrets';
import { AppError } from '@codeyard/common/errors';
import { secretNameProblem, secretValueProblem, SECRETS_MAX, SECRETS_TOTAL_MAX_BYTES } from '@codeyard/common/secrets';
import type { SecretRepository, StoredSecret } from '../db/secret-repository.js';
import type { ReplRecord } from '../repls/repl-record.js';
import type { Runtime } from '../runtime/runtime.js';
import { SecretCipher } from './secret-cipher.js';
import { SecretDelivery } from './secret-delivery.js';

export interface ReplSecretsOptions {
  repository: SecretRepository;
  cipher: SecretCipher;
  runtime: Runtime;
  /** The repl of `owner` (a 404 as for any repl not theirs): ReplService.get. */
  owned: (owner: string, id: string) => Promise<ReplRecord>;
  now?: () => number;
  /** See SecretDeliveryOptions.followRuns. */
  followRuns?: boolean;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * A repl's secrets as its owner manages them: names and times listed, values written and never
 * read back, stored encrypted (SecretCipher), given to the running repl's agent after every start
 * and every change (SecretDelivery). Only the owner: everyone else meets the 404 of a repl that
 * is not theirs, whatever their role.
 */
export class ReplSecrets {
  readonly #o: ReplSecretsOptions;
  readonly delivery: SecretDelivery;

  constructor(options: ReplSecretsOptions) {
    this.#o = options;
    this.delivery = new SecretDelivery({ runtime: options.runtime, log: options.log, followRuns: options.followRuns, values: (id) => this.#values(id) });
  }

  /** Names and times by name; `applied` while the repl runs (its agent holds this revision or a newer one). Never a value. */
  async list(owner: string, id: string): Promise<SecretList> {
    const record = await this.#o.owned(owner, id);
    const { revision, secrets } = await this.#o.repository.read(record.id);
    const applied = await this.delivery.applied(record.id, revision);
    return { secrets: secrets.map(({ name, updatedAt }) => ({ name, updatedAt })), ...(applied === undefined ? {} : { applied }) };
  }

  /**
   * Adds or replaces one secret (400 naming a bad name or value; 409 past the limits of the
   * set), then gives the running repl the new set. The secret is saved even when the repl's
   * agent cannot be reached: the list says `applied: false` and the next start gives it.
   */
  async set(owner: string, id: string, name: string, value: string): Promise<{ entry: SecretEntry; created: boolean }> {
    const record = await this.#o.owned(owner, id);
    const problem = secretNameProblem(name) ?? secretValueProblem(value);
    if (problem) throw new AppError('VALIDATION', problem);
    const updatedAt = new Date(this.#o.now?.() ?? Date.now()).toISOString();
    const stored = { name, value: this.#o.cipher.encrypt(record.id, name, value), updatedAt };
    // Checked against the rows inside the write's transaction: parallel PUTs (on any portal) cannot pass the limits together.
    const { outcome } = await this.#o.repository.put(record.id, stored, (others) => withinLimits(others, value));
    this.#o.log.info({ replId: record.id, secret: name }, outcome === 'created' ? 'secret added' : 'secret replaced');
    await this.delivery.changed(record.id);
    return { entry: { name, updatedAt }, created: outcome === 'created' };
  }

  /** Deletes one secret (404 naming it when there is none), then gives the running repl the rest. */
  async remove(owner: string, id: string, name: string): Promise<void> {
    const record = await this.#o.owned(owner, id);
    if ((await this.#o.repository.delete(record.id, name)) === undefined) throw new AppError('NOT_FOUND', `repl ${record.id} has no secret ${name}`);
    this.#o.log.info({ replId: record.id, secret: name }, 'secret removed');
    await this.delivery.changed(record.id);
  }

  /** The decrypted set and its revision, read together; a value that does not decrypt (the signing key changed) is left out and logged once. */
  async #values(id: string): Promise<{ revision: number; variables: Record<string, string> }> {
    const { revision, secrets } = await this.#o.repository.read(id);
    const variables: Record<string, string> = {};
    for (const secret of secrets) {
      const value = this.#o.cipher.decrypt(id, secret.name, secret.value);
      if (value === undefined) this.delivery.unreadable(id, secret.name);
      else variables[secret.name] = value;
    }
    return { revision, variables };
  }

  close(): void {
    this.delivery.close();
  }
}

/** Throws the 409 when `value` beside the repl's other secrets passes the count or size limit of a set. */
export function withinLimits(others: StoredSecret[], value: string): void {
  if (others.length >= SECRETS_MAX) throw new AppError('LIMIT_REACHED', `a repl may have at most ${SECRETS_MAX} secrets and this one has ${others.length}; remove one first`, { limit: 'secrets', max: SECRETS_MAX });
  const total = others.reduce((sum, s) => sum + SecretCipher.plainBytes(s.value), 0) + Buffer.byteLength(value, 'utf8');
  if (total > SECRETS_TOTAL_MAX_BYTES) throw new AppError('LIMIT_REACHED', `a repl's secrets may have at most ${SECRETS_TOTAL_MAX_BYTES / 1024} KiB together; with this value they would have ${Math.ceil(total / 1024)} KiB`, { limit: 'secret-bytes', max: SECRETS_TOTAL_MAX_BYTES });
}
