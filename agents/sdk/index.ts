import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AgentReply, AgentRequest, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../schemas/index.js';
import { verifySignature } from '../../lib/signing.js';
import { postCallback, type RetryPolicy } from './callback.js';

export type { AgentEvent, AgentReply, AgentRequest, ApprovalDecided } from '../../schemas/index.js';
export { CALLBACK_PATH, CallbackError, DEFAULT_RETRY, postCallback, type CallbackTarget, type RetryPolicy } from './callback.js';

/**
 * An answer that takes longer than MChat should wait for a webhook: the server answers `202` at
 * once, runs `work`, and posts its reply to MChat's callback URL. Make one with `answerLater`.
 */
export class LaterAnswer {
  constructor(readonly work: () => AgentReply | Promise<AgentReply>) {}
}

export function answerLater(work: () => AgentReply | Promise<AgentReply>): LaterAnswer {
  return new LaterAnswer(work);
}

/**
 * Answers a request: a reply, an answer to come later, or null when there is nothing to say (a
 * `204`), which only a follow-up (a request with an `event`) may be answered with; to a question
 * MChat takes it as no answer.
 */
export type AgentHandler = (request: AgentRequest) => AgentReply | LaterAnswer | null | Promise<AgentReply | LaterAnswer | null>;

/** One hosted agent with its own API secret (MChat issues one per agent). */
export interface HostedAgent {
  secret: string;
  handle: AgentHandler;
}

export interface AgentServerOptions {
  /** The API secret of agents given as bare handlers. */
  secret?: string;
  /** URL path → agent. One process may host several agents, each with a secret of its own. */
  agents: Record<string, AgentHandler | HostedAgent>;
  /** MChat's base URL; needed only by agents that answer later. */
  mchatUrl?: string;
  callbackRetry?: Partial<RetryPolicy>;
  maxBodyBytes?: number;
  /** Failed handlers and callbacks end up here; nothing is thrown out of the server. */
  onError?: (err: unknown) => void;
}

export type Verified = { ok: true; request: AgentRequest } | { ok: false; status: 400 | 401; error: string };

/** Checks the signature and timestamp, then the body's shape: what every agent must do first. */
export function verifyAgentRequest(secret: string, headers: IncomingMessage['headers'], body: string): Verified {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const check = verifySignature(secret, { timestamp: header(TIMESTAMP_HEADER), signature: header(SIGNATURE_HEADER) }, body);
  if (!check.ok) return { ok: false, status: 401, error: `signature ${check.reason}` };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, status: 400, error: 'body is not JSON' };
  }
  const parsed = AgentRequest.safeParse(json);
  return parsed.success ? { ok: true, request: parsed.data } : { ok: false, status: 400, error: parsed.error.issues[0]?.message ?? 'bad request' };
}

/** A minimal HTTP server answering MChat's agent webhook for the given agents. */
export function createAgentServer(opts: AgentServerOptions): Server {
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const endpoints = hostedAgents(opts);
  const report = (err: unknown) => opts.onError?.(err);
  return createServer((req, res) => {
    const agent = req.method === 'POST' ? endpoints.get(req.url ?? '') : undefined;
    if (!agent) return send(res, 404, { error: 'no such agent' });
    void readBody(req, maxBodyBytes).then((body) => {
      if (body === undefined) return send(res, 413, { error: `body over ${maxBodyBytes} bytes` });
      const verified = verifyAgentRequest(agent.secret, req.headers, body);
      if (!verified.ok) return send(res, verified.status, { error: verified.error });
      return answer(agent, verified.request, res, opts, report);
    });
  });
}

function hostedAgents(opts: AgentServerOptions): Map<string, HostedAgent> {
  return new Map(Object.entries(opts.agents).map(([path, agent]) => {
    if (typeof agent !== 'function') return [path, agent];
    if (!opts.secret) throw new Error(`the agent at ${path} has no secret: give it { secret, handle } or set the server's secret`);
    return [path, { secret: opts.secret, handle: agent }];
  }));
}

/** The body as text, or undefined when it is over the limit (the rest is read and dropped). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    // Read to the end even when too large, so the sender gets its 413 rather than a reset connection.
    req.on('end', () => resolve(size <= maxBytes ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', () => resolve(undefined));
  });
}

async function answer(agent: HostedAgent, request: AgentRequest, res: ServerResponse, opts: AgentServerOptions, report: (err: unknown) => void) {
  try {
    const outcome = await agent.handle(request);
    if (outcome === null) return void res.writeHead(204).end();
    if (!(outcome instanceof LaterAnswer)) return send(res, 200, AgentReply.parse(outcome));
    if (!opts.mchatUrl) throw new Error('an agent answered later, but the server has no mchatUrl to post the answer to');
    send(res, 202, { accepted: true });
    void deliverLater(outcome, request, { mchatUrl: opts.mchatUrl, secret: agent.secret, retry: opts.callbackRetry }).catch(report);
  } catch (err) {
    // A handler that throws or answers out of shape still gets MChat an answer: a 500.
    report(err);
    send(res, 500, { error: 'agent failed' });
  }
}

async function deliverLater(later: LaterAnswer, request: AgentRequest, target: Parameters<typeof postCallback>[0]): Promise<void> {
  const reply = AgentReply.parse(await later.work());
  await postCallback(target, { interaction_id: request.interaction_id, agent_id: request.agent_id, reply });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
