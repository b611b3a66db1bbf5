import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type * as activities from './activities.js';

const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });
const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/** The shape of agentInteraction: a local activity (context), an activity (the webhook), a local activity (post). */
export async function baselineRoundTrip(question: string): Promise<string> {
  const context = await local.prepare(question);
  const answer = await remote.call(context);
  return local.finish(answer);
}
