import { AppError } from '@codeyard/common/errors';

/** Each stack's usual test command, run from the workspace folder. */
const TEST_COMMANDS: Partial<Record<string, string>> = {
  node: 'npm test',
  react: 'npm test',
  python: 'python3 -m unittest',
  go: 'go test ./...',
  rust: 'cargo test',
};

/**
 * The command autograde runs when the teacher gives none: the starter's own (`test` in its
 * manifest) when it names one, else its stack's usual test runner; a stack without one (static)
 * needs the command given.
 */
export function defaultGradeCommand(stack: string, manifest?: { test?: unknown }): string {
  if (typeof manifest?.test === 'string' && manifest.test.trim()) return manifest.test;
  const command = TEST_COMMANDS[stack];
  if (!command) throw new AppError('VALIDATION', `the ${stack} stack has no usual test command; give one as "command" (e.g. "sh test.sh")`);
  return command;
}
