import { randomInt } from 'node:crypto';

/*
 * Two-word names for repls made without one ("brave-otter"), as Replit gives: a list of "Node.js
 * repl", "Node.js repl", "Node.js repl" tells a person nothing, and a name is easier to say and to
 * find than an id. Small lists of plain, friendly words (ours): 48 × 48 = 2,304 names.
 */
const ADJECTIVES = [
  'amber', 'bold', 'brave', 'breezy', 'bright', 'calm', 'clever', 'cosy', 'crisp', 'curly',
  'dapper', 'eager', 'fancy', 'fluffy', 'gentle', 'giddy', 'golden', 'happy', 'humble', 'jolly',
  'keen', 'kind', 'lively', 'lucky', 'mellow', 'merry', 'mighty', 'misty', 'nimble', 'noble',
  'plucky', 'polite', 'proud', 'quick', 'quiet', 'rapid', 'rosy', 'shiny', 'silver', 'snappy',
  'sunny', 'swift', 'tidy', 'trusty', 'vivid', 'warm', 'witty', 'zesty',
] as const;

const NOUNS = [
  'acorn', 'badger', 'beacon', 'bison', 'breeze', 'canyon', 'comet', 'coral', 'cricket', 'delta',
  'falcon', 'fern', 'finch', 'fjord', 'gecko', 'glacier', 'harbor', 'heron', 'island', 'kettle',
  'koala', 'lagoon', 'lantern', 'lemur', 'maple', 'meadow', 'meteor', 'nebula', 'orchid', 'otter',
  'panda', 'pebble', 'pepper', 'pine', 'puffin', 'quartz', 'raven', 'river', 'robin', 'sparrow',
  'summit', 'thistle', 'tiger', 'tulip', 'valley', 'walrus', 'willow', 'zephyr',
] as const;

/** Every name {@link pickReplName} can give. */
export const REPL_NAME_COUNT = ADJECTIVES.length * NOUNS.length;

/** The `index`th adjective-noun name, 0 ≤ index < REPL_NAME_COUNT. */
function nameAt(index: number): string {
  return `${ADJECTIVES[Math.floor(index / NOUNS.length)]}-${NOUNS[index % NOUNS.length]}`;
}

/**
 * A two-word name none of `taken` has (compared without case): a random one, and if that is
 * taken the next free one after it, so an account with many repls still gets a name at once.
 * With all 2,304 taken, a number is added ("brave-otter-2").
 */
export function pickReplName(taken: Iterable<string>, random: (max: number) => number = randomInt): string {
  const used = new Set([...taken].map((n) => n.toLowerCase()));
  const start = random(REPL_NAME_COUNT);
  for (let i = 0; i < REPL_NAME_COUNT; i++) {
    const name = nameAt((start + i) % REPL_NAME_COUNT);
    if (!used.has(name)) return name;
  }
  const base = nameAt(start);
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}
