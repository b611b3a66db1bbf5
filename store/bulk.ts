import type { Collection, Document, UpdateFilter } from 'mongodb';
import type { Model } from 'mongoose';
import type { Logger } from '../lib/logger.js';

/** Documents keyed by a string `_id` (see db.ts). */
export interface KeyedDoc extends Document {
  _id: string;
}
export type KeyedCollection = Collection<KeyedDoc>;

/** The driver's collection under a model whose `_id`s are strings, for writes mongoose would only slow down. */
export function keyedCollection(model: Pick<Model<unknown>, 'collection'>): KeyedCollection {
  return model.collection as unknown as KeyedCollection;
}

export const DUPLICATE_KEY = 11000;

/** A write refused by a unique index. */
export const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === DUPLICATE_KEY;

/** One document an unordered bulk write refused. */
export interface WriteFailure {
  /** Its place in the batch. */
  index: number;
  code: number;
  errmsg?: string;
  /** The unique index it collided with: MongoDB says, FerretDB does not. */
  keyPattern?: Record<string, unknown>;
}

/**
 * The documents an unordered bulk write (insertMany, bulkWrite with `ordered: false`) refused,
 * the others being written; undefined when the call failed as a whole (no connection, a write
 * concern error), in which case nothing can be assumed about any document.
 */
export function writeFailures(err: unknown): WriteFailure[] | undefined {
  const e = err as { writeErrors?: unknown; result?: { getWriteConcernError?(): unknown } } | null;
  if (!e || e.writeErrors === undefined || e.result?.getWriteConcernError?.()) return undefined;
  const list = (Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors]) as {
    index: number; code: number; errmsg?: string; err?: { keyPattern?: Record<string, unknown> };
  }[];
  if (list.length === 0) return undefined;
  return list.map((w) => ({
    index: w.index,
    code: w.code,
    ...(w.errmsg !== undefined ? { errmsg: w.errmsg } : {}),
    ...(w.err?.keyPattern ? { keyPattern: w.err.keyPattern } : {}),
  }));
}

/** What became of one document of an unordered insert: undefined when written, else what refused it. */
export type InsertOutcome = WriteFailure | Error | undefined;

/** One unordered insertMany: per document, undefined when written, or what refused it. */
export async function insertAll(collection: KeyedCollection, docs: KeyedDoc[]): Promise<InsertOutcome[]> {
  try {
    await collection.insertMany(docs, { ordered: false, ignoreUndefined: true });
    return docs.map(() => undefined);
  } catch (err) {
    const failures = writeFailures(err);
    if (!failures) throw err;
    const outcomes: InsertOutcome[] = docs.map(() => undefined);
    for (const f of failures) outcomes[f.index] = f.code === DUPLICATE_KEY ? f : new Error(f.errmsg ?? `write error ${f.code}`);
    return outcomes;
  }
}

/** A document whose numeric fields only grow, keyed by `_id`. */
export interface MaxUpdate {
  id: string;
  max: Record<string, number>;
  /** The rest of the document when it is new. */
  onInsert: Document;
  /** How the document is found when an older version wrote it under an ObjectId. */
  legacy: Document;
}

/**
 * FerretDB (SQLite) holds a connection, of a pool of 100, for each update of one command that
 * matched a document until the whole command is done: around 100 of them at once, in one command
 * or across concurrent ones, deadlock the server.
 */
const UPDATES_PER_COMMAND = 8;

/** One document to update by `_id`, created if it does not exist. */
export interface KeyedUpsert {
  id: string;
  update: UpdateFilter<KeyedDoc>;
  /** Where and how the document is updated instead when an older version wrote it under an ObjectId. */
  legacy: { filter: Document; update: UpdateFilter<KeyedDoc> };
}

/**
 * Updates each document by `_id`, creating those that do not exist, in unordered bulkWrites of at
 * most UPDATES_PER_COMMAND. A document an older version wrote (ObjectId `_id`) makes the upsert
 * collide with its other unique index; it is updated where it is instead. FerretDB stops an update
 * command at its first failure and misreports which one it was, so after a collision each update
 * of that command is done again alone. Two updates of one document must not share a call: an
 * unordered write may apply them in either order.
 */
export async function upsertAll(collection: KeyedCollection, upserts: readonly KeyedUpsert[]): Promise<void> {
  for (let i = 0; i < upserts.length; i += UPDATES_PER_COMMAND) {
    const chunk = upserts.slice(i, i + UPDATES_PER_COMMAND);
    try {
      await collection.bulkWrite(chunk.map((u) => ({ updateOne: { filter: { _id: u.id }, update: u.update, upsert: true } })), { ordered: false });
    } catch (err) {
      if (!writeFailures(err)?.every((f) => f.code === DUPLICATE_KEY)) throw err;
      await Promise.all(chunk.map((u) => upsertOne(collection, u)));
    }
  }
}

async function upsertOne(collection: KeyedCollection, u: KeyedUpsert): Promise<void> {
  try {
    await collection.updateOne({ _id: u.id }, u.update, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await collection.updateOne(u.legacy.filter, u.legacy.update);
  }
}

/** Raises the fields of each document (see upsertAll), creating documents that do not exist. */
export function upsertMax(collection: KeyedCollection, updates: readonly MaxUpdate[]): Promise<void> {
  return upsertAll(collection, updates.map((u) => ({
    id: u.id,
    update: { $max: u.max, $setOnInsert: u.onInsert },
    legacy: { filter: u.legacy, update: { $max: u.max } },
  })));
}

const REST_FACTOR = 19;

function higher(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? -Infinity, v);
  return out;
}

/**
 * Counters that only grow (how far a sender has read), written behind the caller's back: each
 * document at most once per `gapMs` (the first time at once), all that are due in one write, and
 * after a write at least REST_FACTOR times its duration of rest. Each update takes a lock and a
 * database round trip, so this bounds that work by the documents touched rather than the messages
 * sent, at the price of lag: readers treat these fields as lower bounds.
 */
export class LazyMax {
  private readonly pending = new Map<string, MaxUpdate>();
  /** When each document was last written, while that is less than `gapMs` ago. */
  private readonly written = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private restUntil = 0;
  private flushing = false;

  constructor(
    /** Writes the raised documents (upsertMax, under whatever guards them). */
    private readonly write: (updates: MaxUpdate[]) => Promise<void>,
    private readonly gapMs: number,
    private readonly log: Logger,
  ) {}

  raise(update: MaxUpdate): void {
    const prev = this.pending.get(update.id);
    this.pending.set(update.id, prev ? { ...update, max: higher(prev.max, update.max) } : update);
    this.schedule(this.dueOf(update.id));
  }

  private dueOf(id: string): number {
    return Math.max((this.written.get(id) ?? -Infinity) + this.gapMs, this.restUntil);
  }

  private schedule(at: number): void {
    if (this.flushing || at >= this.dueAt) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => void this.flush(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    this.dueAt = Infinity;
    const started = Date.now();
    for (const [id, at] of this.written) if (at + this.gapMs <= started) this.written.delete(id);
    const due = [...this.pending.values()].filter((u) => !this.written.has(u.id));
    for (const u of due) {
      this.pending.delete(u.id);
      this.written.set(u.id, started);
    }
    try {
      await this.write(due);
    } catch (err) {
      this.log.warn({ err, documents: due.length }, 'could not write counters kept lazily; retrying later');
      for (const u of due) this.raise(u);
    } finally {
      this.restUntil = Date.now() + REST_FACTOR * (Date.now() - started);
      this.flushing = false;
      let next = Infinity;
      for (const id of this.pending.keys()) next = Math.min(next, this.dueOf(id));
      if (next < Infinity) this.schedule(next);
    }
  }
}
