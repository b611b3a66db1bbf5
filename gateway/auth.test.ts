import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../store/db.js';
import { ownDatabase, type OwnDatabase } from '../test/database.js';
import { groupMemberships } from './auth.js';

/** Against the run's real database, in a database of its own. */
describe('group memberships for subscribe checks', () => {
  let db: OwnDatabase;
  let m: Models;
  beforeAll(async () => {
    db = await ownDatabase('memberships');
    m = db.m;
    await m.Group.create([
      { id: 'g_sales', name: 'Sales', owner_id: 'u_li', members: ['u_li', 'u_wang'], created_at: 1 },
      { id: 'g_eng', name: 'Engineering', owner_id: 'u_zhang', members: ['u_zhang', 'u_wang'], created_at: 1 },
      { id: 'g_gone', name: 'Gone', owner_id: 'u_li', members: ['u_li'], created_at: 1, dissolved: true },
    ]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('answers each of many employees asking at once with their own live groups', async () => {
    const memberships = groupMemberships(m);
    const ids = ['u_li', 'u_wang', 'u_zhang', 'u_nobody'];
    const sets = await Promise.all(ids.map((id) => memberships(id)));
    expect(sets.map((s) => [...s].sort())).toEqual([['g_sales'], ['g_eng', 'g_sales'], ['g_eng'], []]);
    // A later question is a new read: a join shows at once.
    await m.Group.updateOne({ id: 'g_eng' }, { $addToSet: { members: 'u_nobody' } });
    expect([...(await memberships('u_nobody'))]).toEqual(['g_eng']);
  });
});
