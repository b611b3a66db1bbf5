import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialOf, setCredentials } from './credentials.js';
import type { Models } from './db.js';
import { ownDatabase, type OwnDatabase } from '../test/database.js';

/** Against the run's real FerretDB, in a database of its own. */
describe('credentials', () => {
  let db: OwnDatabase;
  let m: Models;
  beforeAll(async () => {
    db = await ownDatabase('credentials');
    m = db.m;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keys new credentials by the employee id, and finds and updates ones an older version keyed by ObjectId', async () => {
    await m.Credential.create({ employee_id: 'u_new', password_hash: 'h1' });
    await m.Credential.collection.insertOne({ employee_id: 'u_old', password_hash: 'h2' });
    expect(await m.Credential.exists({ _id: 'u_new' })).toBeTruthy();
    expect(await credentialOf(m, 'u_new')).toEqual({ employee_id: 'u_new', password_hash: 'h1' });
    expect(await credentialOf(m, 'u_old')).toEqual({ employee_id: 'u_old', password_hash: 'h2' });
    expect(await credentialOf(m, 'u_nobody')).toBeNull();

    await setCredentials(m, [
      { employee_id: 'u_new', set: { password_hash: 'h3' } },
      { employee_id: 'u_old', set: { password_hash: 'h4' } },
      { employee_id: 'a_bot', set: { api_secret: 's1' } },
    ]);
    expect(await credentialOf(m, 'u_new')).toEqual({ employee_id: 'u_new', password_hash: 'h3' });
    expect(await credentialOf(m, 'u_old')).toEqual({ employee_id: 'u_old', password_hash: 'h4' });
    expect(await m.Credential.findOne({ _id: 'a_bot' }, { _id: 0 }).lean()).toEqual({ employee_id: 'a_bot', api_secret: 's1' });
    expect(await m.Credential.countDocuments()).toBe(3);
  });
});
