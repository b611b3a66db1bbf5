import { createContext } from 'svelte';
import type { Session } from '../session.svelte';
import { AuditLog } from './audit.svelte';
import { AdminDirectory } from './directory.svelte';

/** What the admin console's screens share while it is open, over the app's one connection. */
export class AdminState {
  readonly directory: AdminDirectory;
  readonly audit: AuditLog;

  constructor(session: Session) {
    this.directory = new AdminDirectory(session);
    this.audit = new AuditLog(session);
  }
}

export const [getAdmin, setAdmin] = createContext<AdminState>();
