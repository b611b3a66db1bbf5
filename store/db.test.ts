import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Models } from './db.js';
import { ownDatabase, type OwnDatabase } from '../test/database.js';

/** Against the run's real database (FerretDB on PostgreSQL), in a database of its own. */
describe('the models on the local database', () => {
  let db: OwnDatabase;
  let m: Models;
  beforeAll(async () => {
    db = await ownDatabase('db');
    m = db.m;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores a group as large as the default limit allows, and finds it by member', async () => {
    // PostgreSQL refuses a btree entry over 2,704 bytes, and FerretDB indexes an array as one entry.
    const members = Array.from({ length: 5_000 }, (_, i) => `u_member_${i}`);
    await m.Group.create({ id: 'g_all_hands', name: 'All hands', owner_id: 'u_member_0', members, created_at: 1 });
    await m.Group.updateOne({ id: 'g_all_hands' }, { $addToSet: { members: 'u_latecomer' } });
    const found = await m.Group.find({ members: 'u_member_4999' }, { id: 1 }).lean();
    expect(found.map((g) => g.id)).toEqual(['g_all_hands']);
    expect((await m.Group.findOne({ id: 'g_all_hands' }).lean())?.members).toHaveLength(5_001);
  });
});
