import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { Accounts } from '../../src/accounts/accounts.js';
import { accountForIdentity, type ClaimedInvite, type OidcAccountsDeps } from '../../src/accounts/oidc/oidc-accounts.js';
import { OidcSignInError, type VerifiedIdentity } from '../../src/accounts/oidc/oidc-flow.js';
import type { Account } from '../../src/db/account-repository.js';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { quietLog } from '../db/db-test-helpers.js';

/**
 * Which account an OpenID identity reaches, on the real database with the real accounts (SQLite);
 * invites through a small double (InviteDouble) standing in for core's Invites. The HTTP
 * end-to-end runs are in test/api/oidc-signin.test.ts.
 */
class InviteDouble {
  readonly tokens = new Map<string, ClaimedInvite & { used?: string; taken?: boolean }>();
  async claim(token: string, email: string): Promise<ClaimedInvite> {
    const invite = this.tokens.get(token);
    if (!invite || invite.taken || (invite.email && invite.email !== email.toLowerCase())) throw new AppError('FORBIDDEN', 'this invite does not work');
    invite.taken = true;
    return invite;
  }
  async release(invite: ClaimedInvite & { taken?: boolean }): Promise<void> {
    invite.taken = false;
  }
  async used(invite: ClaimedInvite & { used?: string }, accountId: string): Promise<void> {
    invite.used = accountId;
  }
}

const ISSUER = 'https://id.example.com';
const who = (subject: string, email?: string, emailVerified = true, name?: string): VerifiedIdentity => ({ issuer: ISSUER, subject, ...(email ? { email } : {}), emailVerified, ...(name ? { name } : {}) });
const provider = { id: 'example', allowedDomains: [] as string[] };
const refused = (code: string) => (err: unknown) => err instanceof OidcSignInError && err.code === code;

describe('which account an OpenID identity signs in to', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-oidc-accounts-'));
  let database: Database;
  let accounts: Accounts;
  let invites: InviteDouble;
  let signups = 0;
  const deps = (signup: 'open' | 'invite' | 'closed'): OidcAccountsDeps<Account, ClaimedInvite> => ({ identities: database.identities, accounts, invites, signup, beforeSignUp: () => void signups++ });

  before(async () => {
    database = await openDatabase({ dataDir, log: quietLog });
    accounts = new Accounts(database.accounts, database.sessions);
    invites = new InviteDouble();
  });
  after(async () => {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes a new account from a verified address when sign-up is open (the first is admin), counted as a sign-up', async () => {
    const { account, how } = await accountForIdentity(provider, who('new-1', 'New@Example.com', true, 'New Person'), {}, deps('open'));
    assert.equal(how, 'created');
    assert.equal(account.email, 'New@Example.com');
    assert.equal(account.emailVerified, true);
    assert.equal(account.name, 'New Person');
    assert.equal(account.role, 'admin');
    assert.equal(signups, 1);
    assert.equal((await accountForIdentity(provider, who('new-1', 'New@Example.com'), {}, deps('closed'))).account.id, account.id, 'found by subject later, whatever sign-up says');
  });

  it('links the account with the same verified address (any capitalization), then finds it by subject', async () => {
    const existing = await accounts.createUser({ email: 'pat@example.com', emailVerified: false });
    const first = await accountForIdentity(provider, who('pat-sub', 'PAT@example.com'), {}, deps('closed'));
    assert.deepEqual([first.account.id, first.how], [existing.id, 'email']);
    const later = await accountForIdentity(provider, who('pat-sub', 'pat@new-employer.example'), {}, deps('closed'));
    assert.deepEqual([later.account.id, later.how], [existing.id, 'identity']);
    assert.equal((await database.identities.find(ISSUER, 'pat-sub'))?.email, 'pat@new-employer.example');
  });

  it('never links or makes an account from an unverified or missing address', async () => {
    const victim = await accounts.createUser({ email: 'victim@example.com', emailVerified: true });
    await assert.rejects(accountForIdentity(provider, who('attacker', 'victim@example.com', false), {}, deps('open')), refused('unverified'));
    await assert.rejects(accountForIdentity(provider, who('stranger', 'stranger@example.com', false), {}, deps('open')), refused('unverified'));
    await assert.rejects(accountForIdentity(provider, who('nobody'), {}, deps('open')), refused('unverified'));
    assert.equal(await database.identities.find(ISSUER, 'attacker'), undefined);
    assert.equal(await accounts.byEmail('stranger@example.com'), undefined);
    assert.deepEqual(await database.identities.ofAccount(victim.id), []);
  });

  it('refuses a disabled account, whether found by subject or by address', async () => {
    const linked = await accountForIdentity(provider, who('dis-sub', 'dis@example.com'), {}, deps('open'));
    await accounts.setDisabled(linked.account.id, true);
    await assert.rejects(accountForIdentity(provider, who('dis-sub', 'dis@example.com'), {}, deps('open')), refused('disabled'));
    const other = await accounts.createUser({ email: 'dis2@example.com', emailVerified: true });
    await accounts.setDisabled(other.id, true);
    await assert.rejects(accountForIdentity(provider, who('dis2-sub', 'dis2@example.com'), {}, deps('open')), refused('disabled'));
  });

  it('keeps to allowedDomains on every sign-in, with a verified address', async () => {
    const school = { id: 'school', allowedDomains: ['school.example'] };
    await assert.rejects(accountForIdentity(school, who('out', 'out@example.com'), {}, deps('open')), refused('domain'));
    await assert.rejects(accountForIdentity(school, who('fake', 'fake@school.example', false), {}, deps('open')), refused('unverified'));
    await assert.rejects(accountForIdentity(school, who('sub-only'), {}, deps('open')), refused('unverified'));
    const inside = await accountForIdentity(school, who('in', 'In@School.Example'), {}, deps('open'));
    assert.equal(inside.how, 'created');
    // Moved out of the domain at the provider: refused, though the identity is linked.
    await assert.rejects(accountForIdentity(school, who('in', 'in@example.com'), {}, deps('open')), refused('domain'));
  });

  it('follows CODEYARD_SIGNUP for new people: by invite only with one, closed never', async () => {
    await assert.rejects(accountForIdentity(provider, who('inv-1', 'inv@example.com'), {}, deps('invite')), refused('invite'));
    await assert.rejects(accountForIdentity(provider, who('inv-1', 'inv@example.com'), {}, deps('closed')), refused('closed'));
    invites.tokens.set('cyi_teacher', { role: 'teacher', email: 'inv@example.com' });
    await assert.rejects(accountForIdentity(provider, who('inv-1', 'inv@example.com'), { invite: 'cyi_teacher' }, deps('closed')), refused('closed'));
    const made = await accountForIdentity(provider, who('inv-1', 'inv@example.com'), { invite: 'cyi_teacher' }, deps('invite'));
    assert.deepEqual([made.how, made.account.role], ['created', 'teacher']);
    assert.equal(invites.tokens.get('cyi_teacher')!.used, made.account.id);
    // An invite for another address does not work for this one.
    invites.tokens.set('cyi_other', { role: 'member', email: 'someone@example.com' });
    await assert.rejects(accountForIdentity(provider, who('inv-2', 'inv2@example.com'), { invite: 'cyi_other' }, deps('invite')), (err) => err instanceof AppError && err.code === 'FORBIDDEN');
  });

  it('connects a provider to the signed-in account (no address needed), and not to a second account', async () => {
    const owner = await accounts.createUser({ emailVerified: false, name: 'Owner', role: 'admin' });
    const connected = await accountForIdentity(provider, who('owner-sub'), { linkAccount: owner.id }, deps('closed'));
    assert.deepEqual([connected.account.id, connected.how], [owner.id, 'connected']);
    assert.equal((await accountForIdentity(provider, who('owner-sub'), {}, deps('closed'))).account.id, owner.id, 'signs in as the owner from then on');
    const someoneElse = await accounts.createUser({ email: 'else@example.com', emailVerified: true });
    await assert.rejects(accountForIdentity(provider, who('owner-sub'), { linkAccount: someoneElse.id }, deps('closed')), refused('linked'));
  });
});
