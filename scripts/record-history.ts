import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

/**
 * Saves the history of a finished workflow for replay tests (workflows/replay.test.ts):
 *   npx tsx scripts/record-history.ts <workflow-id> <file-name>
 * against the Temporal of a running stack (TEMPORAL_ADDRESS, default 127.0.0.1:7233).
 *
 * Every path the workflows ship with is recorded by their tests instead, in one go:
 *   RECORD_HISTORIES=1 npx vitest run workflows/workflows.test.ts
 * Record again after a deliberate change of workflow code, and keep the old file when running
 * workflows must still replay (guard the change with `patched`).
 */
const [workflowId, name] = process.argv.slice(2);
if (!workflowId || !name) throw new Error('usage: record-history.ts <workflow-id> <file-name>');
const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
const handle = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }).workflow.getHandle(workflowId);
await handle.result();
const history = await handle.fetchHistory();
const file = new URL(`../workflows/histories/${name}.json`, import.meta.url);
// Proto3 JSON, the form Worker.runReplayHistory and `temporal workflow show -o json` use.
writeFileSync(file, historyToJSON(history));
console.log(`wrote ${file.pathname} (${history.events?.length} events)`);
await connection.close();
