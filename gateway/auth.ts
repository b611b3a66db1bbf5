import { ClientId, employeeOfClient, publicProfile, type Employee, type Group, type PublicProfile } from '../schemas/index.js';
import { hashPassword, secretEquals, verifyPassword, type Tokens } from '../lib/auth.js';
import { SERVICE_USERNAME } from '../lib/config.js';
import { Batcher } from '../store/batching.js';
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

/**
 * The groups an employee is in, for subscribe checks. Employees connecting at the same moment (a
 * reconnect wave) are looked up in one query: on FerretDB each query reads every group whole,
 * the largest included, so one per employee made connecting 2,000 members take 38 s.
 */
export function groupMemberships(m: Models): Memberships {
  const batch = new Batcher<string, ReadonlySet<string>>(async (employeeIds) => {
    const wanted = new Set(employeeIds);
    const groups = await m.Group.find({ members: { $in: [...wanted] }, dissolved: false }, { _id: 0, id: 1, members: 1 })
      .lean<Pick<Group, 'id' | 'members'>[]>();
    const of = new Map(employeeIds.map((id) => [id, new Set<string>()]));
    for (const g of groups) for (const member of g.members) of.get(member)?.add(g.id);
    return employeeIds.map((id) => of.get(id)!);
  }, 500);
  return (employeeId) => batch.add(employeeId);
}
