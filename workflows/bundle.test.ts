import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * The worker evaluates the workflow bundle's modules again for every workflow it starts, so what
 * workflow code imports is paid per interaction: zod's schema building alone cost more than the
 * rest of an interaction's workflow work. Workflow code imports values only from zod-free modules.
 */
describe('workflow bundle', () => {
  it('carries no zod', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(code).toContain('agentInteraction');
    expect(code).not.toMatch(/node_modules\/zod\//);
  }, 60_000);
});
