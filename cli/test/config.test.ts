import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { configPath, normalizeServer, readConfig, resolveTarget, withoutToken, withToken, writeConfig } from '../src/config.js';
import { CliError, EXIT } from '../src/exit-codes.js';
import { tempHome } from './helpers/run-cli.js';

describe('the config file', () => {
  const home = tempHome();
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('lives under XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x/conf', HOME: '/home/a' }), '/x/conf/codeyard/config.json');
    assert.equal(configPath({ HOME: '/home/a' }), '/home/a/.config/codeyard/config.json');
    // The XDG spec says a relative value is to be ignored.
    assert.equal(configPath({ XDG_CONFIG_HOME: 'rel/conf', HOME: '/home/a' }), '/home/a/.config/codeyard/config.json');
  });

  it('is written 0600 in a 0700 folder, and a file others could read becomes 0600 when rewritten', () => {
    const file = configPath({ XDG_CONFIG_HOME: home });
    writeConfig(file, withToken({ servers: {} }, 'http://localhost:8080', 'cyp_secret'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(readConfig(file), { current: 'http://localhost:8080', servers: { 'http://localhost:8080': { token: 'cyp_secret' } } });
    fs.chmodSync(file, 0o644);
    writeConfig(file, readConfig(file));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['config.json'], 'no temporary file left behind');
  });

  it('reads a missing file as empty, and refuses one that is not JSON naming the file', () => {
    assert.deepEqual(readConfig(path.join(home, 'none.json')), { servers: {} });
    const bad = path.join(home, 'bad.json');
    fs.writeFileSync(bad, '{ nope');
    assert.throws(() => readConfig(bad), (err: CliError) => err.exitCode === EXIT.ERROR && err.message.includes(bad));
  });

  it('takes the server from --server, then CODEYARD_SERVER, then the current one, then localhost:8080; the token from CODEYARD_TOKEN, then the file', () => {
    const config = withToken(withToken({ servers: {} }, 'https://a.example', 'cyp_a'), 'http://b.example:8080', 'cyp_b');
    assert.deepEqual(resolveTarget({}, config), { server: 'http://b.example:8080', token: 'cyp_b', tokenFrom: 'config' });
    assert.deepEqual(resolveTarget({ CODEYARD_SERVER: 'https://a.example/' }, config), { server: 'https://a.example', token: 'cyp_a', tokenFrom: 'config' });
    assert.deepEqual(resolveTarget({ CODEYARD_SERVER: 'https://a.example' }, config, 'http://c.example'), { server: 'http://c.example' });
    assert.deepEqual(resolveTarget({ CODEYARD_TOKEN: 'cy_env' }, config, 'http://c.example'), { server: 'http://c.example', token: 'cy_env', tokenFrom: 'CODEYARD_TOKEN' });
    assert.deepEqual(resolveTarget({}, { servers: {} }), { server: 'http://localhost:8080' });
  });

  it('keys servers by origin and refuses addresses that are not one', () => {
    assert.equal(normalizeServer('localhost:8080'), 'http://localhost:8080');
    assert.equal(normalizeServer('HTTPS://Codeyard.Example.com/'), 'https://codeyard.example.com');
    assert.equal(normalizeServer('https://codeyard.example.com:443'), 'https://codeyard.example.com');
    for (const bad of ['ftp://x', 'http://x/sub', 'http://u:p@x', 'http://', '']) {
      assert.throws(() => normalizeServer(bad), (err: CliError) => err.exitCode === EXIT.USAGE, bad);
    }
  });

  it('forgets one server on logout and keeps the others', () => {
    const both = withToken(withToken({ servers: {} }, 'https://a.example', 'cyp_a'), 'https://b.example', 'cyp_b');
    assert.deepEqual(withoutToken(both, 'https://b.example'), { servers: { 'https://a.example': { token: 'cyp_a' } } });
    assert.deepEqual(withoutToken(both, 'https://a.example'), { current: 'https://b.example', servers: { 'https://b.example': { token: 'cyp_b' } } });
  });
});
