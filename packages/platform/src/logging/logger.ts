import type { Writable } from 'node:stream';
import { ecsFormat } from '@elastic/ecs-winston-format';
import winston from 'winston';
import { activeSpanIds } from '../tracing/spans.js';
import { currentContext } from './request-context.js';

export type Logger = winston.Logger;

/** Puts the request id (and user) of the current request on every line logged while serving it. */
const requestContext = winston.format((info) => {
  const context = currentContext();
  if (context) {
    info['http'] = { ...(info['http'] as object | undefined), request: { id: context.requestId } };
    if (context.userId) info['user'] = { id: context.userId };
  }
  return info;
});

/** Puts the trace and span of the work being done on every line logged inside a trace (ECS `trace.id`, `span.id`). */
const traceContext = winston.format((info) => {
  const ids = activeSpanIds();
  if (ids) {
    info['trace'] = { id: ids.traceId };
    info['span'] = { id: ids.spanId };
  }
  return info;
});

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Silences output (tests keep their own console readable). */
  silent?: boolean;
  /** Where the lines go instead of stdout (tests that read what was logged). */
  stream?: Writable;
}

/** ECS-format JSON lines on stdout, ready for Filebeat → Elasticsearch → Kibana. */
export function createLogger({ service, level = 'info', silent = false, stream }: LoggerOptions): Logger {
  return winston.createLogger({
    level,
    silent,
    defaultMeta: { service: { name: service } },
    format: winston.format.combine(requestContext(), traceContext(), ecsFormat({ convertErr: true })),
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}
