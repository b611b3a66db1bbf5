import type { Tokens } from '../../lib/auth.js';
import type { Logger } from '../../lib/logger.js';
import type { Models } from '../../store/db.js';
import type { ObjectStore } from '../../store/objects.js';
import type { AuthOptions } from '../auth.js';
import type { Memberships } from '../broker/acl.js';
import type { PresenceTracker } from '../broker/presence.js';
import type { GatewayContext } from '../context.js';
import type { FileLinks } from '../files.js';
import type { DependencyName, Probe } from './health.js';

export interface MediaOptions {
  store: ObjectStore;
  links: FileLinks;
  maxUploadBytes: number;
}

export interface HttpApiOptions {
  /** Undefined until the broker is up; admin and directory routes answer 503 until then. */
  context: () => GatewayContext | undefined;
  auth: AuthOptions;
  m: Models;
  tokens: Tokens;
  memberships: Memberships;
  probes: Record<DependencyName, Probe>;
  serviceSecret: string;
  presence: PresenceTracker;
  log: Logger;
  /** File upload and download (`/api/files`); absent, those routes do not exist. */
  media?: MediaOptions;
}
