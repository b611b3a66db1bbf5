import express, { Router } from 'express';
import {
  AgentCallback, opPayloads, parseInteractionId, SIGNATURE_HEADER, TIMESTAMP_HEADER,
} from '../../schemas/index.js';
import { TaskDecision, TaskListQuery, WorkflowListQuery } from '../../schemas/http.js';
import { credentialOf } from '../../store/credentials.js';
import { verifySignature } from '../../lib/signing.js';
import { callerOf, contextOf, failWith, gatewayStarting, parse, personAuth, sendError, wrap } from './util.js';
import type { HttpApiOptions } from './options.js';
import * as agentOps from '../ops/agents.js';

/**
 * Agent work over HTTP: agents' asynchronous answers (`POST /api/agents/callback`, signed with the
 * agent's secret), approval tasks and workflow state for people (bearer token). Mounted before
 * the JSON parser: the callback's signature is over the raw bytes.
 */
export function agentRoutes(opts: HttpApiOptions): Router {
  const router = Router();
  const fail = failWith(opts.log);

  router.post('/api/agents/callback', express.raw({ type: () => true, limit: '64kb' }), wrap(async (req, res) => {
    const ctx = opts.context();
    if (!ctx) return gatewayStarting(res);
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return sendError(res, { code: 'E_SCHEMA', message: 'body is not valid JSON' });
    }
    const body = parse(AgentCallback, json);
    if (!body.ok) return sendError(res, body.error);
    const { interaction_id, agent_id, reply } = body.value;
    // The same answer for an unknown agent and a wrong signature: nothing to learn by probing.
    const refused = () => sendError(res, { code: 'E_AUTH', message: 'signature does not verify' });
    const agent = await opts.m.Employee.exists({ id: agent_id, is_ai_agent: true, status: 'active' });
    const secret = agent && (await credentialOf(opts.m, agent_id))?.api_secret;
    if (!secret) return refused();
    const check = verifySignature(secret, { timestamp: req.get(TIMESTAMP_HEADER), signature: req.get(SIGNATURE_HEADER) }, raw);
    if (!check.ok) {
      opts.log.warn({ agent_id, reason: check.reason }, 'agent callback refused');
      return refused();
    }
    const target = parseInteractionId(interaction_id);
    if (!target) return sendError(res, { code: 'E_SCHEMA', message: 'not an interaction id MChat issued', field: 'interaction_id' });
    try {
      const delivered = await ctx.work.callback(target.workflow_id, { hop: target.hop, agent_id, reply });
      if (!delivered) return sendError(res, { code: 'E_NOT_FOUND', message: 'no interaction is waiting for this answer', field: 'interaction_id' });
      res.json({ accepted: true, workflow_id: target.workflow_id });
    } catch (err) {
      fail(res, err);
    }
  }));

  // Everything below is for people: a login token and a ready gateway.
  const person = personAuth(opts);

  router.get('/api/tasks', person, wrap(async (req, res) => {
    const q = parse(TaskListQuery, req.query);
    if (!q.ok) return sendError(res, q.error);
    try {
      res.json(await agentOps.listTasks(contextOf(res), callerOf(res), q.value));
    } catch (err) {
      fail(res, err);
    }
  }));

  router.post('/api/tasks/:id/decision', express.json({ limit: '64kb' }), person, wrap(async (req, res) => {
    const body = parse(TaskDecision, req.body);
    if (!body.ok) return sendError(res, body.error);
    const payload = parse(opPayloads['task.decide'], { ...body.value, task_id: req.params.id });
    if (!payload.ok) return sendError(res, payload.error);
    try {
      res.json(await agentOps.decideTask(contextOf(res), callerOf(res), payload.value, 'http'));
    } catch (err) {
      fail(res, err);
    }
  }));

  router.get('/api/conversations/:id/workflows', person, wrap(async (req, res) => {
    const q = parse(WorkflowListQuery, req.query);
    if (!q.ok) return sendError(res, q.error);
    const payload = parse(opPayloads['workflow.list'], { conversation_id: req.params.id, limit: q.value.limit });
    if (!payload.ok) return sendError(res, payload.error);
    try {
      res.json(await agentOps.listWorkflows(contextOf(res), callerOf(res), payload.value));
    } catch (err) {
      fail(res, err);
    }
  }));

  router.get('/api/workflows/:id', person, wrap(async (req, res) => {
    const payload = parse(opPayloads['workflow.get'], { workflow_id: req.params.id });
    if (!payload.ok) return sendError(res, payload.error);
    try {
      res.json(await agentOps.getWorkflow(contextOf(res), callerOf(res), payload.value));
    } catch (err) {
      fail(res, err);
    }
  }));

  return router;
}
