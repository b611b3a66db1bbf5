import { commonParts } from './common.js';
import type { ActivityDeps } from './deps.js';
import { handoffActivities } from './handoffs.js';
import { interactionActivities } from './interaction.js';
import { mirrorActivities } from './mirror.js';
import { taskActivities } from './tasks.js';

/** The worker's activities, by the names the workflows call them, built from one part per concern. */
export function createActivities(deps: ActivityDeps) {
  const common = commonParts(deps);
  return {
    ...interactionActivities(deps, common),
    ...mirrorActivities(deps, common),
    ...taskActivities(deps, common),
    ...handoffActivities(deps, common),
  };
}

export type Activities = ReturnType<typeof createActivities>;
