import type { Outcome } from '$lib/approvals';
import * as m from '$lib/paraglide/messages';
import { parseStep } from './steps';

type NameOf = (id: string) => string;

/** A workflow's step in the reader's language, with names for the ids it mentions. */
export function stepText(step: string, nameOf: NameOf): string {
  const parsed = parseStep(step);
  if (!parsed) return step;
  if (parsed.kind === 'stopped') return m.step_stopped({ count: parsed.count });
  if ('id' in parsed) {
    const name = nameOf(parsed.id);
    const NAMED = {
      unavailable: m.step_unavailable,
      no_agent: m.step_no_agent,
      calling: m.step_calling,
      waiting_answer: m.step_waiting_answer,
      answered: m.step_answered,
      waiting_approval: m.step_waiting_approval,
      rejected: m.step_rejected,
      approved: m.step_approved,
      handed_over: m.step_handed_over,
    };
    return NAMED[parsed.kind]({ name });
  }
  const FIXED = {
    starting: m.step_starting,
    with_human: m.step_with_human,
    done: m.step_done,
    approval_not_asked: m.step_approval_not_asked,
    approval_timed_out: m.step_approval_timed_out,
    handing_over: m.step_handing_over,
    no_human: m.step_no_human,
  };
  return FIXED[parsed.kind]();
}

/** One line saying how an approval ended. */
export function outcomeText(outcome: Outcome, nameOf: NameOf): string {
  if (outcome.state !== 'approved' && outcome.state !== 'rejected') return outcome.state === 'escalated' ? m.outcome_escalated() : m.outcome_pending();
  const approved = outcome.state === 'approved';
  if (!outcome.by) return approved ? m.outcome_approved() : m.outcome_rejected();
  if (outcome.by.me) return approved ? m.outcome_approved_by_you() : m.outcome_rejected_by_you();
  const name = nameOf(outcome.by.id);
  return approved ? m.outcome_approved_by({ name }) : m.outcome_rejected_by({ name });
}
