import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './test-portal.js';

/** The repo's templates plus a stack whose toolchain this machine cannot have (NoSuchLang), in a temporary folder. */
export function templatesWithBrokenStack(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-ui-templates-'));
  fs.cpSync(path.join(REPO_ROOT, 'templates'), dir, { recursive: true, filter: (src) => !src.split(path.sep).includes('node_modules') });
  const broken = path.join(dir, 'nosuch');
  fs.mkdirSync(broken);
  fs.copyFileSync(path.join(REPO_ROOT, 'templates', 'node', 'icon.svg'), path.join(broken, 'icon.svg'));
  fs.writeFileSync(path.join(broken, 'main.txt'), 'hello\n');
  fs.writeFileSync(
    path.join(broken, 'repl.json'),
    JSON.stringify({
      id: 'nosuch',
      name: 'NoSuchLang',
      description: 'A stack whose toolchain is missing.',
      icon: 'icon.svg',
      main: 'main.txt',
      run: 'nosuchlang main.txt',
      port: 3000,
      toolchain: { name: 'nosuchlang', check: 'codeyard-no-such-command --version', installHint: 'Install NoSuchLang from nowhere.' },
    }),
  );
  return dir;
}
