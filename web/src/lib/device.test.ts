import { describe, expect, it } from 'vitest';
import { tabDevice } from './device';

const storage = (init: Record<string, string> = {}) => {
  const items = new Map(Object.entries(init));
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
};

describe('tabDevice', () => {
  it('keeps one id for the tab across reloads', () => {
    const tab = storage();
    const first = tabDevice(tab);
    expect(first).toMatch(/^web-[0-9a-f]{8}$/);
    expect(tabDevice(tab)).toBe(first);
    expect(tab.items.get('mchat.device')).toBe(first);
  });

  it('gives another tab another id', () => {
    expect(tabDevice(storage())).not.toBe(tabDevice(storage()));
  });

  it('replaces a kept value that is not a device id', () => {
    expect(tabDevice(storage({ 'mchat.device': 'web/../x' }))).toMatch(/^web-[0-9a-f]{8}$/);
  });
});
