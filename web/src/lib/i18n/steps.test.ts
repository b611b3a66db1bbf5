import { describe, expect, it } from 'vitest';
import { parseStep } from './steps.js';

describe('parseStep', () => {
  it('knows the fixed steps', () => {
    expect(parseStep('done')).toEqual({ kind: 'done' });
    expect(parseStep('the conversation is with a human colleague')).toEqual({ kind: 'with_human' });
  });

  it('takes the id out of the steps that name someone', () => {
    expect(parseStep('waiting for approval by u_wang')).toEqual({ kind: 'waiting_approval', id: 'u_wang' });
    expect(parseStep('a_sales answered')).toEqual({ kind: 'answered', id: 'a_sales' });
    expect(parseStep('calling a_finance')).toEqual({ kind: 'calling', id: 'a_finance' });
    expect(parseStep('stopped after 8 hops')).toEqual({ kind: 'stopped', count: 8 });
  });

  it('leaves a step of another shape alone', () => {
    expect(parseStep('reticulating splines')).toBeUndefined();
    expect(parseStep('waiting for approval by two people')).toBeUndefined();
  });
});
