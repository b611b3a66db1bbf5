import type { Client } from 'aedes';
import type { Logger } from '../../lib/logger.js';
import type { LiveAcl } from '../admin/effects.js';
import type { Memberships } from './acl.js';

/**
 * The live ACL of the embedded broker: the connections and group memberships of the employees
 * online now, so that a membership change or a disabled account takes effect without anyone
 * reconnecting. Memberships are read once per employee while they stay connected.
 */
export class LiveConnections implements LiveAcl {
  private readonly connections = new Map<string, Set<Client>>();
  private readonly groupsOf = new Map<string, ReadonlySet<string>>();

  constructor(private readonly read: Memberships, private readonly log: Logger) {}

  /** For subscribe checks: the cached memberships of a connected employee. */
  readonly memberships: Memberships = async (employeeId) => this.groupsOf.get(employeeId) ?? this.load(employeeId);

  private async load(employeeId: string): Promise<ReadonlySet<string>> {
    const groups = await this.read(employeeId);
    if (this.connections.has(employeeId)) this.groupsOf.set(employeeId, groups);
    return groups;
  }

  add(employeeId: string, client: Client): void {
    const set = this.connections.get(employeeId) ?? new Set();
    this.connections.set(employeeId, set.add(client));
  }

  /** True when that was the employee's last connection. */
  remove(employeeId: string, client: Client): boolean {
    const set = this.connections.get(employeeId);
    set?.delete(client);
    if (set?.size !== 0) return false;
    this.connections.delete(employeeId);
    this.groupsOf.delete(employeeId);
    return true;
  }

  /** Whether a connection with this client id is still open (a takeover closes the old one after). */
  hasClient(employeeId: string, clientId: string): boolean {
    for (const client of this.connections.get(employeeId) ?? []) if (client.id === clientId) return true;
    return false;
  }

  /** The client ids of every open connection. */
  clientIds(): string[] {
    return [...this.connections.values()].flatMap((set) => [...set].map((c) => c.id));
  }

  /** Synchronous, for every group delivery: is the employee in the group now? */
  inGroup(employeeId: string, groupId: string): boolean {
    return this.groupsOf.get(employeeId)?.has(groupId) ?? false;
  }

  async refresh(employeeIds: readonly string[]): Promise<void> {
    await Promise.all(employeeIds.filter((id) => this.connections.has(id)).map((id) => this.load(id)));
  }

  disconnect(employeeId: string): void {
    for (const client of this.connections.get(employeeId) ?? []) {
      this.log.info({ clientId: client.id }, 'disconnecting a disabled employee');
      client.close();
    }
  }
}
