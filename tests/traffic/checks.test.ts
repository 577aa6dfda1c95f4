import { describe, expect, it } from 'vitest';
import { judgeMemory, type MemorySample } from '../../scripts/lib/traffic/memory.js';
import { FlagError, flag, readFlags } from '../../scripts/lib/traffic/options.js';
import { leg } from '../../scripts/lib/traffic/route.js';

const MiB = 2 ** 20;

/** A sample every 5 s for two minutes, the heap swinging between collections around `heapMiB(atS)`. */
const series = (heapMiB: (atS: number) => number): MemorySample[] =>
  Array.from({ length: 25 }, (_, i) => ({
    atS: i * 5,
    heapUsedBytes: (heapMiB(i * 5) + (i % 3) * 12) * MiB,
    rssBytes: 150 * MiB,
  }));

describe('the soak’s memory verdict', () => {
  it('when the heap only swings between collections, then nothing is reported', () => {
    expect(
      judgeMemory(
        'order',
        series(() => 40),
        20,
        20,
      ).problems,
    ).toEqual([]);
  });

  it('when the heap fills during warm-up and then stays, then nothing is reported', () => {
    expect(
      judgeMemory(
        'order',
        series((s) => (s < 20 ? 10 + s * 2 : 50)),
        20,
        20,
      ).problems,
    ).toEqual([]);
  });

  it('when what stays alive keeps growing after warm-up, then the process and its growth are reported', () => {
    const verdict = judgeMemory(
      'order',
      series((s) => 40 + s / 2),
      20,
      20,
    );
    expect(verdict.problems).toEqual(['order: heap grew from 55.0 MiB to 92.5 MiB after warm-up']);
  });

  it('when a small heap grows by a few megabytes, then that is not taken for a leak', () => {
    expect(
      judgeMemory(
        'gateway',
        series((s) => 8 + s / 20),
        20,
        20,
      ).problems,
    ).toEqual([]);
  });
});

describe('the traffic tools’ flags', () => {
  const specs = { rate: flag.rate(1), orders: flag.orders(50), gateway: flag.gateway('http://localhost:8000') };

  it('when none is given, then the defaults are used', () => {
    expect(readFlags([], specs)).toEqual({ rate: '1', orders: '50', gateway: 'http://localhost:8000' });
  });

  it('when some are wrong, then every wrong one is named with what it takes', () => {
    const wrong = (): unknown =>
      readFlags(['--rate', '0', '--orders', '2.5', '--gateway', 'http://10.0.0.8:8000'], specs);
    expect(wrong).toThrow(FlagError);
    expect(wrong).toThrow(
      /--rate "0": takes .*\n--orders "2.5": takes .*\n--gateway "http:\/\/10.0.0.8:8000": takes .*this machine/,
    );
  });

  it('when a flag is unknown, then it is refused', () => {
    expect(() => readFlags(['--ordres', '5'], specs)).toThrow(FlagError);
  });
});

describe('a simulated ride', () => {
  it('when a leg is driven, then it ends at its destination with the heading and a speed the contract accepts', () => {
    const fixes = leg({ lat: 40.7, lng: -74 }, { lat: 40.71, lng: -74 }, 4, 1000);
    expect(fixes).toHaveLength(4);
    expect(fixes.at(-1)).toMatchObject({ lat: 40.71, lng: -74, heading: 0 });
    // 1.11 km in four seconds would be 1,000 km/h: reported at the contract's ceiling.
    expect(fixes.every((fix) => fix.speedKmh === 250)).toBe(true);
    expect(leg({ lat: 40.7, lng: -74 }, { lat: 40.7, lng: -73.99 }, 10, 60_000)[0]).toMatchObject({ heading: 90 });
  });
});
