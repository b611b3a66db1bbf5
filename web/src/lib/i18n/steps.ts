/**
 * The steps a workflow reports (workflows/workflows.ts writes them in English, with agent and
 * employee ids), parsed so the panel can say them in the reader's language. A step of another
 * shape is shown as it came.
 */
export type Step =
  | { kind: 'starting' | 'with_human' | 'done' | 'approval_not_asked' | 'approval_timed_out' | 'handing_over' | 'no_human' }
  | { kind: 'stopped'; count: number }
  | { kind: 'unavailable' | 'no_agent' | 'calling' | 'waiting_answer' | 'answered' | 'waiting_approval' | 'rejected' | 'approved' | 'handed_over'; id: string };

const FIXED: Record<string, Step['kind']> = {
  starting: 'starting',
  'the conversation is with a human colleague': 'with_human',
  done: 'done',
  'approval could not be asked': 'approval_not_asked',
  'approval timed out': 'approval_timed_out',
  'handing over to a human': 'handing_over',
  'no human to hand over to': 'no_human',
};

const WITH_ID: [RegExp, Extract<Step, { id: string }>['kind']][] = [
  [/^(\S+) unavailable$/, 'unavailable'],
  [/^no agent (\S+)$/, 'no_agent'],
  [/^calling (\S+)$/, 'calling'],
  [/^waiting for (\S+) to answer$/, 'waiting_answer'],
  [/^(\S+) answered$/, 'answered'],
  [/^waiting for approval by (\S+)$/, 'waiting_approval'],
  [/^rejected by (\S+)$/, 'rejected'],
  [/^approved by (\S+)$/, 'approved'],
  [/^handed over to (\S+)$/, 'handed_over'],
];

export function parseStep(step: string): Step | undefined {
  const fixed = FIXED[step];
  if (fixed) return { kind: fixed } as Step;
  const stopped = /^stopped after (\d+) hops$/.exec(step);
  if (stopped) return { kind: 'stopped', count: Number(stopped[1]) };
  for (const [pattern, kind] of WITH_ID) {
    const id = pattern.exec(step)?.[1];
    if (id) return { kind, id };
  }
  return undefined;
}
