import { describe, expect, it } from 'vitest';
import { parseMentions } from './mentions.js';

describe('parseMentions', () => {
  it('collects @ids in order of first appearance, once each', () => {
    expect(parseMentions('@a_sales can you ask @u_li and @a_sales again?')).toEqual(['a_sales', 'u_li']);
  });

  it('accepts every character of an employee id', () => {
    expect(parseMentions('cc @dept.ops:bot-2 please')).toEqual(['dept.ops:bot-2']);
  });

  it('drops sentence punctuation after the id', () => {
    expect(parseMentions('Thanks @u_li. See @u_wang: done, @u_zhao-')).toEqual(['u_li', 'u_wang', 'u_zhao']);
  });

  it('ignores e-mail addresses and a lone @', () => {
    expect(parseMentions('mail li@example.com or ask @ someone')).toEqual([]);
  });

  it('finds mentions at line starts and inside brackets', () => {
    expect(parseMentions('@u_li\n(@u_wang)')).toEqual(['u_li', 'u_wang']);
  });

  it('refuses ids longer than the protocol allows', () => {
    expect(parseMentions(`@${'x'.repeat(65)}`)).toEqual([]);
  });
});
