import { keyedCollection, upsertAll } from './bulk.js';
import type { CredentialDoc, Models } from './db.js';

/**
 * An employee's credential, read by `_id` (the employee id), which FerretDB answers without
 * scanning: logins and every agent call read one. A database an older version wrote keyed them by
 * ObjectId; those are found by `employee_id`.
 */
export async function credentialOf(m: Models, employeeId: string): Promise<CredentialDoc | null> {
  return (await m.Credential.findOne({ _id: employeeId }, { _id: 0 }).lean<CredentialDoc>())
    ?? m.Credential.findOne({ employee_id: employeeId }, { _id: 0 }).lean<CredentialDoc>();
}

/** Sets fields of employees' credentials, creating the credentials that do not exist yet. */
export function setCredentials(m: Models, updates: readonly { employee_id: string; set: Omit<CredentialDoc, 'employee_id'> }[]): Promise<void> {
  return upsertAll(keyedCollection(m.Credential), updates.map(({ employee_id, set }) => ({
    id: employee_id,
    update: { $set: set, $setOnInsert: { employee_id } },
    legacy: { filter: { employee_id }, update: { $set: set } },
  })));
}
