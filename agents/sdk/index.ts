import { createServer, type IncomingMessage, type Server } from 'node:http';
import { AgentReply, AgentRequest, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../schemas/index.js';
import { verifySignature } from '../../lib/signing.js';

export type { AgentReply, AgentRequest };

export type AgentHandler = (request: AgentRequest) => AgentReply | Promise<AgentReply>;

export interface AgentServerOptions {
  /** The agent's API secret, as MChat issued it. */
  secret: string;
  /** URL path → agent. One process may host several agents. */
  agents: Record<string, AgentHandler>;
  maxBodyBytes?: number;
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
  return createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const handler = req.method === 'POST' ? opts.agents[req.url ?? ''] : undefined;
    if (!handler) return reply(404, { error: 'no such agent' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const verified = verifyAgentRequest(opts.secret, req.headers, Buffer.concat(chunks).toString('utf8'));
      if (!verified.ok) return reply(verified.status, { error: verified.error });
      // Inside the chain, so a handler that throws or answers out of shape still gets a 500.
      Promise.resolve(verified.request)
        .then(handler)
        .then((answer) => AgentReply.parse(answer))
        .then(
          (answer) => reply(200, answer),
          (err: unknown) => {
            opts.onError?.(err);
            reply(500, { error: 'agent failed' });
          },
        );
    });
  });
}
