import type { Connection } from 'mongoose';
import { inject } from 'vitest';
import { connectDb, models, type Models } from '../store/db.js';

export interface OwnDatabase {
  conn: Connection;
  m: Models;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/** A database of its own on the run's real server (test/global-setup.ts), so test files cannot see each other's data. */
export async function ownDatabase(name: string): Promise<OwnDatabase> {
  const conn = await connectDb(inject('services').mongoUrl.replace(/\/mchat$/, `/t_${name}_${Date.now()}`));
  return {
    conn,
    m: models(conn),
    async drop() {
      await conn.dropDatabase();
      await conn.close();
    },
  };
}
