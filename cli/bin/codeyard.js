#!/usr/bin/env node
// The `codeyard` command from a checkout (`npx codeyard`, after `npm run build`): loads the
// compiled CLI. Kept plain JavaScript so it can say what is missing instead of a stack trace.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`codeyard needs Node.js 22.13 or newer (this is ${process.versions.node})\n`);
  process.exit(1);
}
let cli;
try {
  cli = await import('../dist/src/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/main.js')) {
    process.stderr.write('codeyard is not built yet: run `npm run build` in the Codeyard checkout\n');
    process.exit(1);
  }
  throw err;
}
process.exitCode = await cli.main(process.argv.slice(2));
