import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LazyMax, upsertAll, upsertMax, type KeyedCollection, type MaxUpdate } from './bulk.js';
import { createLogger } from '../lib/logger.js';

const log = createLogger('test', 'silent');

const update = (id: string, value: number): MaxUpdate => ({ id, max: { value }, onInsert: { key: id }, legacy: { key: id } });

/** Against the run's real FerretDB, in a database of its own. */
describe('upsertAll, upsertMax and LazyMax', () => {
  let client: MongoClient;
  let db: Db;
  let coll: KeyedCollection;
  beforeAll(async () => {
    client = await MongoClient.connect(inject('services').mongoUrl);
    db = client.db(`t_bulk_${Date.now()}`);
    coll = db.collection('counters');
    await coll.createIndex({ key: 1 }, { unique: true });
  });
  afterAll(async () => {
    await db?.dropDatabase();
    await client?.close();
  });
  const valueOf = async (key: string) => (await coll.find({ key }).toArray()).map((d) => d.value as number);

  it('creates documents, raises them, and never lowers them, including ones an older version keyed by ObjectId', async () => {
    await db.collection('counters').insertOne({ key: 'old', value: 5 });
    // FerretDB stops an update batch at its first failure: what comes after the old one counts too.
    await upsertMax(coll, [update('new', 3), update('old', 7), update('after', 1)]);
    await upsertMax(coll, [update('new', 2), update('old', 6)]);
    expect(await valueOf('new')).toEqual([3]);
    expect(await valueOf('old')).toEqual([7]);
    expect(await valueOf('after')).toEqual([1]);
    expect(await coll.findOne({ _id: 'new' })).toMatchObject({ key: 'new', value: 3 });
  });

  it('upsertAll sets and unsets fields, creating documents and updating ones keyed by ObjectId where they are', async () => {
    await db.collection('counters').insertOne({ key: 'run-old', state: 'waiting', pending: 't1' });
    const set = (key: string, state: string, unset = false) =>
      ({ id: key, update: { $set: { key, state }, ...(unset ? { $unset: { pending: '' } } : {}) }, legacy: { filter: { key }, update: { $set: { key, state }, ...(unset ? { $unset: { pending: '' } } : {}) } } });
    await upsertAll(coll, [set('run-new', 'running'), set('run-old', 'completed', true)]);
    expect(await coll.findOne({ _id: 'run-new' }, { projection: { _id: 0 } })).toEqual({ key: 'run-new', state: 'running' });
    expect(await coll.find({ key: 'run-old' }, { projection: { _id: 0 } }).toArray()).toEqual([{ key: 'run-old', state: 'completed' }]);
  });

  it('LazyMax writes a document at once the first time, then at most once per gap, with the highest value', async () => {
    const lazy = new LazyMax((updates) => upsertMax(coll, updates), 400, log);
    lazy.raise(update('lazy', 1));
    await expect.poll(() => valueOf('lazy')).toEqual([1]);
    for (const v of [4, 2, 3]) lazy.raise(update('lazy', v));
    await new Promise((r) => setTimeout(r, 150));
    expect(await valueOf('lazy')).toEqual([1]);
    await expect.poll(() => valueOf('lazy'), { timeout: 2_000 }).toEqual([4]);
  });
});
