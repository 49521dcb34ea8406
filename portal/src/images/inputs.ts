import { createHash } from 'node:crypto';

/** The label that carries an image's inputs hash: a build whose inputs did not change is skipped. */
export const INPUTS_LABEL = 'io.codeyard.inputs';
/** What an image is: a stack's id, `base` or `portal`. */
export const STACK_LABEL = 'io.codeyard.stack';

/** One input of a build: a name (a file's, a build argument's) and its content. */
export type BuildInput = readonly [name: string, content: string | Buffer];

/**
 * A hash of a build's inputs, independent of their order: each name and content is framed by
 * its length, so no two different input sets can run together into the same bytes.
 */
export function inputsHash(inputs: readonly BuildInput[]): string {
  const hash = createHash('sha256');
  const sorted = [...inputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, content] of sorted) {
    const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    hash.update(`${Buffer.byteLength(name)}:${name}:${body.length}:`).update(body);
  }
  return hash.digest('hex').slice(0, 32);
}

/** Whether an image found with these labels was built from exactly these inputs. */
export function isUpToDate(labels: Readonly<Record<string, string>> | undefined, hash: string): boolean {
  return labels?.[INPUTS_LABEL] === hash;
}
