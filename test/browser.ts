import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AgentReply } from '../schemas/index.js';
import { freePort } from '../scripts/servers/servers.js';
import type { AppProcess } from '../scripts/processes.js';
import { startWeb } from '../scripts/web.js';
import { startStack, type Stack } from './stack.js';

/** Debian's Chromium, installed by `npm test`'s install step. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserStack {
  stack: Stack;
  /** Where the web app's production build is served. */
  webUrl: string;
  browser: Browser;
  /** Errors thrown in any page the test opened: a test ends by checking there were none. */
  pageErrors: string[];
  /** A page in a context of its own (its own cookies: one person), in `locale`. */
  newPage(opts: { locale: string; viewport?: { width: number; height: number } }): Promise<Page>;
  /**
   * An agent of the test's own, created by the admin over HTTP and answering every message with
   * `reply(text)` (it does not check signatures; the agent SDK's tests do).
   */
  createAgent(agent: { id: string; name: string; title?: string }, reply: (text: string) => AgentReply): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The web app in a real browser against a real gateway and worker (test/stack.ts), served from its
 * production build (made by the global setup) as `npm start` serves it.
 */
export async function startBrowserStack({ maxUploadBytes }: { maxUploadBytes?: number } = {}): Promise<BrowserStack> {
  const stack = await startStack({ worker: true, ...(maxUploadBytes ? { env: { MCHAT_MAX_UPLOAD_BYTES: String(maxUploadBytes) } } : {}) });
  const agents: Server[] = [];
  let web: AppProcess | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    for (const agent of agents) agent.close();
    await web?.stop();
    await stack.stop();
  };
  try {
    const port = await freePort();
    const webUrl = `http://127.0.0.1:${port}`;
    web = await startWeb({ port, origin: webUrl, gatewayUrl: stack.httpUrl, mqttWsUrl: stack.wsUrl, logDir: stack.logDir, ...(maxUploadBytes ? { maxUploadBytes } : {}) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pageErrors: string[] = [];
    const opened = browser;
    return {
      stack, webUrl, browser, pageErrors, stop,
      async newPage({ locale, viewport = { width: 1280, height: 800 } }) {
        const context = await opened.newContext({ viewport, locale });
        context.setDefaultTimeout(15_000);
        const page = await context.newPage();
        page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
        return page;
      },
      async createAgent(agent, reply) {
        const agentPort = await freePort();
        agents.push(await answering(agentPort, reply));
        const res = await fetch(`${stack.httpUrl}/api/admin/agent.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.login('u_wang')}` },
          body: JSON.stringify({
            ...agent, manager_id: 'u_wang',
            agent_profile: { model_type: 'rules', webhook_endpoint: `http://127.0.0.1:${agentPort}/`, response_timeout: 5 },
          }),
        });
        if (!res.ok) throw new Error(`agent.create: ${res.status} ${await res.text()}`);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function answering(port: number, reply: (text: string) => AgentReply): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const { message } = JSON.parse(body) as { message: { body: { text?: string } } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply(message.body.text ?? '')));
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
