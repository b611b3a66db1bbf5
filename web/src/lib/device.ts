import { randomHex } from './ids';

const KEY = 'mchat.device';
const DEVICE = /^web-[0-9a-f]{8}$/;

/**
 * This tab's device id, the `{device}` of its MQTT client id. Kept in sessionStorage, which is
 * the tab's own and outlives a reload, so the broker resumes the tab's session; two tabs get two
 * ids, since one client id on two connections pushes one of them off.
 */
export function tabDevice(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.sessionStorage): string {
  const kept = storage?.getItem(KEY);
  if (kept && DEVICE.test(kept)) return kept;
  const fresh = `web-${randomHex(4)}`;
  storage?.setItem(KEY, fresh);
  return fresh;
}
