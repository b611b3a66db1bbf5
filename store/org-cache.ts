import type { Model } from 'mongoose';
import type { Employee, Group } from '../schemas/index.js';
import { Batcher } from './batching.js';
import { orgVersion, type Models } from './db.js';

/**
 * How stale an employee or group this process read may be. Changes this process makes are seen at
 * once (see `orgVersion`); changes another process makes (a second gateway's admin op) within
 * about this long.
 */
export const ORG_CACHE_TTL_MS = 2_000;
/** Entries nobody asked for in this long are dropped rather than refreshed. */
const IDLE_MS = 30_000;

interface Entry<T> {
  value: Promise<T | null>;
  version: number;
  usedAt: number;
}

/**
 * Documents by id for the checks every message makes, instead of a read per message: on FerretDB
 * every read scans its collection. Every ORG_CACHE_TTL_MS, all entries in use are read again in one
 * query; reads of ids not cached are gathered the same way. Only what exists is kept, so a
 * newcomer is found at once.
 */
class Cached<T extends { id: string }> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loads: Batcher<string, T | null>;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(private readonly model: Model<T>) {
    this.loads = new Batcher((ids) => this.loadAll(ids));
  }

  get(id: string): Promise<T | null> {
    const hit = this.entries.get(id);
    if (hit && hit.version === orgVersion()) {
      hit.usedAt = Date.now();
      return hit.value;
    }
    return this.keep(id, { value: this.loads.add(id), version: orgVersion(), usedAt: Date.now() });
  }

  private keep(id: string, entry: Entry<T>): Promise<T | null> {
    this.entries.set(id, entry);
    const forget = () => {
      if (this.entries.get(id) === entry) this.entries.delete(id);
    };
    entry.value.then((v) => v ?? forget(), forget);
    this.timer ??= setInterval(() => void this.refresh(), ORG_CACHE_TTL_MS).unref();
    return entry.value;
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    const now = Date.now();
    for (const [id, e] of this.entries) if (now - e.usedAt > IDLE_MS) this.entries.delete(id);
    if (this.entries.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.refreshing = true;
    const version = orgVersion();
    const ids = [...this.entries.keys()];
    try {
      const docs = await this.loadAll(ids);
      ids.forEach((id, i) => {
        const usedAt = this.entries.get(id)?.usedAt;
        // Already resolved, so nothing is left to wait for: keep() returns it only for get().
        if (usedAt !== undefined) void this.keep(id, { value: Promise.resolve(docs[i]!), version, usedAt });
      });
    } catch {
      // The database is away: what was read stays until it answers again, and nothing is stored meanwhile.
    } finally {
      this.refreshing = false;
    }
  }

  /** By `_id` (equality for one, which FerretDB hands to SQL); documents older versions wrote, under an ObjectId, by `id`. */
  private async loadAll(ids: string[]): Promise<(T | null)[]> {
    const found = new Map<string, T>();
    const byKey = ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } };
    for (const d of await this.model.find(byKey, { _id: 0 }).lean<T[]>()) found.set(d.id, d);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      for (const d of await this.model.find({ id: { $in: missing } }, { _id: 0 }).lean<T[]>()) found.set(d.id, d);
    }
    return ids.map((id) => found.get(id) ?? null);
  }
}

export interface OrgCache {
  employee(id: string): Promise<Employee | null>;
  /** The employee while their account is active: what every sign-in and request checks. */
  activeEmployee(id: string): Promise<Employee | null>;
  group(id: string): Promise<Group | null>;
}

const caches = new WeakMap<Models, OrgCache>();

export function orgCache(m: Models): OrgCache {
  let cache = caches.get(m);
  if (!cache) {
    const employees = new Cached<Employee>(m.Employee);
    const groups = new Cached<Group>(m.Group);
    cache = {
      employee: (id) => employees.get(id),
      activeEmployee: async (id) => {
        const e = await employees.get(id);
        return e?.status === 'active' ? e : null;
      },
      group: (id) => groups.get(id),
    };
    caches.set(m, cache);
  }
  return cache;
}
