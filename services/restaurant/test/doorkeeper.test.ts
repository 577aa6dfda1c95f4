import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Doorkeeper } from '../src/cache/doorkeeper.js';

describe('Doorkeeper', () => {
  it('when a name is asked the first time, then it was not asked before; from the second time on, it was', () => {
    const doorkeeper = new Doorkeeper();
    const name = 'restaurants:list:3:aGVsbG8';
    expect(doorkeeper.askedBefore(name)).toBe(false);
    expect(doorkeeper.askedBefore(name)).toBe(true);
    expect(doorkeeper.askedBefore(name)).toBe(true);
  });

  it('when thousands of names were asked, then names never asked are still told apart from them', () => {
    const doorkeeper = new Doorkeeper();
    const asked = Array.from({ length: 10_000 }, () => randomUUID());
    const firstAsks = asked.map((name) => doorkeeper.askedBefore(name));
    const neverAsked = Array.from({ length: 10_000 }, () => randomUUID());
    const falsePositives = neverAsked.filter((name) => doorkeeper.askedBefore(name)).length;

    // Every second ask is recognised. Filled with 10,000 to 20,000 names, 2^20 bits take about one name in
    // 10,000 never asked for one asked: under one in these 10,000 on average, a few in a bad draw.
    expect(asked.every((name) => doorkeeper.askedBefore(name))).toBe(true);
    expect(firstAsks.filter(Boolean).length).toBeLessThanOrEqual(10);
    expect(falsePositives).toBeLessThanOrEqual(10);
  });

  it('when 2^17 other names have been asked since, then the filter has started over and forgotten a name', () => {
    const doorkeeper = new Doorkeeper();
    doorkeeper.askedBefore('asked long ago');
    // A few hundred of them collide with names asked before them and do not count: ask some more.
    for (let i = 0; i < (1 << 17) + 10_000; i++) doorkeeper.askedBefore(`other ${i}`);

    expect(doorkeeper.askedBefore('asked long ago')).toBe(false);
    expect(doorkeeper.askedBefore('asked long ago')).toBe(true);
  });
});
