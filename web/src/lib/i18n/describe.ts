import type { Notice } from '$schemas';
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

/** A message the platform wrote, from its notice, in the reader's language. */
export function noticeText(notice: Notice, nameOf: NameOf): string {
  switch (notice.kind) {
    case 'approval_requested': {
      const words = { approver: nameOf(notice.approver_id), summary: notice.summary };
      return notice.missed_id ? m.notice_approval_requested_missed({ ...words, missed: nameOf(notice.missed_id) }) : m.notice_approval_requested(words);
    }
    case 'approval_decided': {
      const words = { approver: nameOf(notice.approver_id), summary: notice.summary };
      if (notice.comment) return (notice.decision === 'approve' ? m.notice_approved_comment : m.notice_rejected_comment)({ ...words, comment: notice.comment });
      return (notice.decision === 'approve' ? m.notice_approved : m.notice_rejected)(words);
    }
    case 'approval_unanswered':
      return m.notice_approval_unanswered({ approver: nameOf(notice.approver_id), summary: notice.summary });
    case 'handoff_started':
      return m.notice_handoff_started({ human: nameOf(notice.human_id) });
    case 'handoff_unavailable':
      return m.notice_handoff_unavailable();
    case 'handoff_escalated':
      return m.notice_handoff_escalated({ missed: nameOf(notice.missed_id), human: nameOf(notice.human_id) });
    case 'handoff_released':
      return m.notice_handoff_released({ by: nameOf(notice.released_by) });
  }
}

/** The colleagues a notice names, to be looked up for their names. */
export function noticeIds(notice: Notice | undefined): string[] {
  if (!notice) return [];
  if (notice.kind === 'approval_requested') return [notice.approver_id, ...(notice.missed_id ? [notice.missed_id] : [])];
  if (notice.kind === 'approval_decided' || notice.kind === 'approval_unanswered') return [notice.approver_id];
  if (notice.kind === 'handoff_started') return [notice.human_id];
  if (notice.kind === 'handoff_released') return [notice.released_by];
  if (notice.kind === 'handoff_escalated') return [notice.human_id, notice.missed_id];
  return [];
}
