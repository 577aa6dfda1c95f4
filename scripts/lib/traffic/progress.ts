import type { Progress, SimulationReport } from './simulation.js';

const clock = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

export function progressLine(p: Progress, orders: number): string {
  const perS = p.elapsedS > 0 ? p.requests / p.elapsedS : 0;
  return (
    `${clock(p.elapsedS)}  orders ${p.placed}/${orders} placed, ${p.inFlight} under way, ${p.delivered} delivered, ` +
    `${p.failed} errors  ·  ${p.positions} driver positions  ·  ${p.requests} requests (${perS.toFixed(1)}/s)` +
    (p.throttled > 0 ? `, ${p.throttled} rate-limited and retried` : '')
  );
}

/**
 * Shows the run's progress on one line, rewritten in place on a terminal; elsewhere (a log, CI) as a
 * plain line every `plainEveryS` seconds.
 */
export function progressDisplay(
  stream: NodeJS.WriteStream,
  orders: number,
  plainEveryS = 10,
): { show: (p: Progress) => void; end: () => void } {
  let lastPlainAt = -Infinity;
  return {
    show: (p) => {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${progressLine(p, orders).slice(0, (stream.columns ?? 200) - 1)}`);
      } else if (p.elapsedS - lastPlainAt >= plainEveryS) {
        lastPlainAt = p.elapsedS;
        stream.write(`${progressLine(p, orders)}\n`);
      }
    },
    end: () => {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export function summary(report: SimulationReport): string {
  const lines = [
    `Orders: ${report.placed} placed, ${report.delivered} delivered, ${report.unfinished} unfinished; ` +
      `${report.failed} errors (a failed step each; a driver's is retried and its delivery goes on)`,
    `Placed to delivered: ${report.meanOrderS.toFixed(1)} s on average, ${report.slowestOrderS.toFixed(1)} s at most`,
    `Requests: ${report.requests} in ${clock(report.elapsedS)} (${(report.requests / Math.max(1, report.elapsedS)).toFixed(1)}/s), ` +
      `${report.positions} driver positions, ${report.throttled} rate-limited and retried`,
  ];
  if (report.errors.length > 0) lines.push('Failures (the first of each kind):', ...report.errors.map((e) => `  ${e}`));
  return lines.join('\n');
}
