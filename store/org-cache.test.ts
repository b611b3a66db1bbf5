import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Models } from './db.js';
import { ownDatabase, type OwnDatabase } from '../test/database.js';
import { ORG_CACHE_TTL_MS, orgCache } from './org-cache.js';

/** Against the run's real FerretDB, in a database of its own. */
describe('orgCache', () => {
  let db: OwnDatabase;
  let m: Models;
  beforeAll(async () => {
    db = await ownDatabase('orgcache');
    m = db.m;
    await m.Employee.create({ id: 'u_x', name: 'X' });
    await m.Group.create({ id: 'g_x', name: 'Group X', owner_id: 'u_x', members: ['u_x', 'u_y'] });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keys employees and groups by their id', async () => {
    expect(await m.Employee.collection.findOne({ id: 'u_x' })).toMatchObject({ _id: 'u_x' });
    expect(await m.Group.collection.findOne({ id: 'g_x' })).toMatchObject({ _id: 'g_x' });
  });

  it('sees a change this process makes at once', async () => {
    const cache = orgCache(m);
    expect((await cache.group('g_x'))?.members).toEqual(['u_x', 'u_y']);
    await m.Group.updateOne({ id: 'g_x' }, { $pullAll: { members: ['u_y'] } });
    expect((await cache.group('g_x'))?.members).toEqual(['u_x']);
    expect((await cache.activeEmployee('u_x'))?.id).toBe('u_x');
    await m.Employee.updateOne({ id: 'u_x' }, { $set: { status: 'disabled' } });
    expect((await cache.employee('u_x'))?.status).toBe('disabled');
    expect(await cache.activeEmployee('u_x')).toBeNull();
  });

  it('sees a change another process makes within its time to live, and a newcomer at once', async () => {
    const cache = orgCache(m);
    expect((await cache.employee('u_x'))?.name).toBe('X');
    // Straight to the driver: no hook of this process hears it, as with another gateway.
    await m.Employee.collection.updateOne({ id: 'u_x' }, { $set: { name: 'X2' } });
    expect(await cache.employee('u_new')).toBeNull();
    await m.Employee.collection.insertOne({ _id: 'u_new' as never, id: 'u_new', name: 'New' });
    expect((await cache.employee('u_new'))?.name).toBe('New');
    await expect.poll(async () => (await cache.employee('u_x'))?.name, { timeout: 2 * ORG_CACHE_TTL_MS + 500, interval: 100 }).toBe('X2');
  });

  it('finds what older versions wrote under an ObjectId', async () => {
    await m.Employee.collection.insertOne({ id: 'u_old', name: 'Old' });
    expect(await orgCache(m).employee('u_old')).toMatchObject({ id: 'u_old', name: 'Old' });
  });
});
