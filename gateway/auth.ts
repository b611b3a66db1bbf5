import { ClientId, employeeOfClient, publicProfile, type Employee, type PublicProfile } from '../schemas/index.js';
import { hashPassword, secretEquals, verifyPassword, type Tokens } from '../lib/auth.js';
import { SERVICE_USERNAME } from '../lib/config.js';
import { credentialOf } from '../store/credentials.js';
import type { Models } from '../store/db.js';
import { orgCache } from '../store/org-cache.js';
import type { Memberships, Principal } from './broker/acl.js';

const SERVICES = new Set<string>(Object.values(SERVICE_USERNAME));

export interface AuthOptions {
  m: Models;
  tokens: Tokens;
  serviceSecret: string;
}

/**
 * MQTT CONNECT: services with the shared service secret; employees with username = employee id,
 * password = a token issued to that employee, client id `{employee_id}:{device}`, account active.
 */
export function mqttAuthenticator({ m, tokens, serviceSecret }: AuthOptions) {
  return async (clientId: string, username: string, password: string): Promise<Principal | undefined> => {
    if (SERVICES.has(username)) return secretEquals(password, serviceSecret) ? { kind: 'service', name: username } : undefined;
    if (!ClientId.safeParse(clientId).success || employeeOfClient(clientId) !== username) return undefined;
    const claims = await tokens.verify(password);
    if (claims?.sub !== username) return undefined;
    const employee = await orgCache(m).activeEmployee(username);
    return employee ? { kind: 'employee', id: username, clientId, role: employee.role } : undefined;
  };
}

const dummyHash = hashPassword('no account has this password');

export type LoginResult = { token: string; expires_at: number; employee: PublicProfile };

/** Password login; every refusal looks the same to the caller so ids cannot be probed. */
export async function login({ m, tokens }: AuthOptions, employeeId: string, password: string): Promise<LoginResult | undefined> {
  const [employee, credential] = await Promise.all([
    m.Employee.findOne({ id: employeeId }, { _id: 0 }).lean<Employee>(),
    credentialOf(m, employeeId),
  ]);
  // Hash even when there is nothing to compare with, so timing does not tell which ids exist.
  const matches = await verifyPassword(password, credential?.password_hash ?? (await dummyHash));
  if (!employee || employee.status !== 'active' || !credential?.password_hash || !matches) return undefined;
  const { token, expires_at } = await tokens.issue({ sub: employee.id, role: employee.role });
  return { token, expires_at, employee: publicProfile(employee) };
}

export function groupMemberships(m: Models): Memberships {
  return async (employeeId) => {
    const groups = await m.Group.find({ members: employeeId, dissolved: false }, { id: 1 }).lean<{ id: string }[]>();
    return new Set(groups.map((g) => g.id));
  };
}
