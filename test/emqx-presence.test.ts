import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Static checks of what EMQX needs for presence (deploy/emqx/base.hocon, docker-compose.yml): the
 * topics the gateway's external transport (gateway/broker/external.ts) listens and publishes on,
 * and presence-external.test.ts plays against Mosquitto, are the ones EMQX is configured to use.
 */
const read = (path: string) => readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');
const hocon = read('deploy/emqx/base.hocon');

/** The text of `name { … }`; braces inside its strings (payload templates) are balanced too. */
function section(name: string): string {
  const start = hocon.indexOf(`${name} {`);
  expect(start, `section ${name}`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = hocon.indexOf('{', start); i < hocon.length; i++) {
    if (hocon[i] === '{') depth++;
    if (hocon[i] === '}' && --depth === 0) return hocon.slice(start, i + 1);
  }
  throw new Error(`unterminated ${name}`);
}

describe('EMQX configuration for presence', () => {
  it('moves clients’ status publishes (Last Wills included) to the gateway’s ingress, with the client id', () => {
    expect(hocon).toMatch(
      /\{\s*action = publish\s+source_topic = "mchat\/status\/\+"\s+re = "\^mchat\/status\/\(\[\^\/\]\+\)\$"\s+dest_topic = "mchat\/ingress\/status\/\$\{clientid\}"\s*\}/,
    );
  });

  it('moves the gateway’s status from mchat/gateway/status/<id> onto mchat/status/<id>', () => {
    expect(hocon).toMatch(
      /\{\s*action = publish\s+source_topic = "mchat\/gateway\/status\/\+"\s+re = "\^mchat\/gateway\/status\/\(\[\^\/\]\+\)\$"\s+dest_topic = "mchat\/status\/\$1"\s*\}/,
    );
  });

  it.each([
    ['mchat_ingress_connected', 'client_connected', 'connected', 'connected_at'],
    ['mchat_ingress_disconnected', 'client_disconnected', 'disconnected', 'disconnected_at'],
  ])('%s republishes $events/%s to mchat/ingress/%s/${clientid} with { at: %s }', (rule, event, kind, field) => {
    const body = section(rule);
    expect(body).toContain(`sql = "SELECT clientid, ${field} FROM \\"$events/${event}\\""`);
    expect(body).toContain('function = republish');
    expect(body).toContain(`topic = "mchat/ingress/${kind}/\${clientid}"`);
    expect(body).toContain('qos = 1');
    expect(body).toContain(`payload = "{\\"at\\": \${${field}}}"`);
  });

  it('the compose gateway publishes its status for the rewrite', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { environment: Record<string, string> }> };
    expect(compose.services.gateway!.environment.MQTT_STATUS_REWRITE).toBe('true');
  });
});
