import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, detectResources, envDetector, hostDetector, processDetector } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Probes and scrapes: frequent, alike, and no part of any user's story. */
const isOperationsRequest = (req: IncomingMessage): boolean =>
  req.url === '/metrics' || (req.url?.startsWith('/health/') ?? false);

/**
 * Traces the libraries automatically: HTTP in and out (the gateway's proxying, service-to-service calls),
 * Express routes, PostgreSQL and Redis commands. Database and Redis commands are traced only inside a
 * trace (a request, an event), so the relay's polling and the periodic jobs do not each start one.
 */
export function instrumentLibraries(provider: NodeTracerProvider): void {
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: isOperationsRequest }),
      // Each middleware would be a span of its own on every request; routes and their handlers tell the story.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
}

export interface TracingOptions {
  /** Where spans go; by default OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  exporter?: SpanExporter;
  /** How finished spans reach the exporter; by default in batches (`OTEL_BSP_*`). */
  processor?: SpanProcessor;
}

/**
 * Registers the tracer provider: its resource names the process (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, host and process), the sampler is `OTEL_TRACES_SAMPLER`'s (parent-based,
 * always on by default), and W3C trace context is what is propagated. Returns the provider, whose
 * `shutdown` exports what is still buffered.
 */
export function registerTracerProvider({ exporter, processor }: TracingOptions = {}): NodeTracerProvider {
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(detectResources({ detectors: [envDetector, hostDetector, processDetector] })),
    spanProcessors: [processor ?? new BatchSpanProcessor(exporter ?? new OTLPTraceExporter())],
  });
  provider.register();
  return provider;
}
