import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';

/**
 * Histories recorded from real runs (scripts/record-history.ts) must replay against today's
 * workflow code: a change that would break running workflows fails here, not in production.
 */
const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('workflow replay', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('replays %s deterministically', async (file) => {
    const history = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));
    await expect(Worker.runReplayHistory({ workflowsPath }, history)).resolves.toBeUndefined();
  });
});
