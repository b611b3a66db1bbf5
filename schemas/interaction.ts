/**
 * What workflow code shares with the rest: plain values, no zod. Workflow code is evaluated again
 * for every workflow a worker starts, and building zod schemas there cost more than the workflow.
 */

/**
 * The `interaction_id` of one agent call: `{workflow_id}#{hop}`. An async callback naming it tells
 * the gateway which workflow to signal and which hop the reply answers; `#` never occurs in
 * workflow ids, which are built from ids and `:`.
 */
export function interactionId(workflowId: string, hop: number): string {
  return `${workflowId}#${hop}`;
}

export function parseInteractionId(id: string): { workflow_id: string; hop: number } | undefined {
  const m = /^(.+)#(\d{1,3})$/.exec(id);
  return m ? { workflow_id: m[1]!, hop: Number(m[2]) } : undefined;
}

/** Relays stop after this many hops, whatever the agents ask: no agent loops. */
export const MAX_RELAY_HOPS = 5;
