import type { WorkflowRun } from '../schemas/index.js';
import { Batcher } from '../store/batching.js';
import { insertAll, keyedCollection, upsertAll, type KeyedUpsert } from '../store/bulk.js';
import type { Models } from '../store/db.js';
import type { Common } from './common.js';
import type { ActivityDeps } from './deps.js';

/** A workflow's visible state as an update of its mirror document. */
function mirroring(run: WorkflowRun): KeyedUpsert {
  // A task decided or an error cleared must not linger in the mirror.
  const cleared = Object.fromEntries((['pending_task_id', 'error'] as const).filter((k) => run[k] === undefined).map((k) => [k, '']));
  const update = Object.keys(cleared).length ? { $set: run, $unset: cleared } : { $set: run };
  return { id: run.workflow_id, update, legacy: { filter: { workflow_id: run.workflow_id }, update } };
}

/** One visible state of a workflow; `first` when it is the workflow's first. */
interface Report {
  run: WorkflowRun;
  first: boolean;
}

/**
 * Writes workflows' visible states to their mirror documents. A workflow's first report creates
 * its document with an insert, which FerretDB does without the scan every update costs; a first
 * report whose document exists (the step run again, or a document an older version wrote) becomes
 * an update like the others.
 */
async function writeMirror(m: Models, reports: readonly Report[]): Promise<void> {
  const collection = keyedCollection(m.WorkflowRun);
  const fresh = reports.filter((r) => r.first);
  const outcomes = fresh.length ? await insertAll(collection, fresh.map(({ run }) => ({ _id: run.workflow_id, ...run }))) : [];
  const failed = outcomes.find((o) => o instanceof Error);
  if (failed) throw failed;
  const inserted = new Set(fresh.filter((_, i) => outcomes[i] === undefined));
  await upsertAll(collection, reports.filter((r) => !inserted.has(r)).map((r) => mirroring(r.run)));
}

/** Each step of a workflow, mirrored in `workflow_runs` and announced on the conversation. */
export function mirrorActivities({ m }: ActivityDeps, { publishToConversation }: Common) {
  // Every workflow mirrors each step; the steps of concurrent workflows go out in shared commands.
  const mirror = new Batcher<Report, undefined>(async (reports) => {
    await writeMirror(m, reports);
    return reports.map(() => undefined);
  });

  return {
    /** The WorkflowRun mirror, and the `workflow` event on the conversation's topics. */
    async reportWorkflow(run: WorkflowRun, first = false): Promise<void> {
      await mirror.add({ run, first });
      const { workflow_id, conversation_id, status, step } = run;
      await publishToConversation(conversation_id, { v: 1, type: 'workflow', workflow_id, conversation_id, status, step });
    },
  };
}
