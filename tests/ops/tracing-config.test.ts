import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeArgs, STACK, traceServiceName } from '../../scripts/lib/stack.js';
import { readText, readYaml, repoPath } from './lib/repo.js';

/**
 * Tracing's deployment files: no Docker engine or Kong runs here, so this checks that Compose, the Kong
 * declaration, the image and `npm start` agree on where spans go and how each process is started.
 */
interface ComposeService {
  image?: string;
  build?: { target?: string };
  environment?: Record<string, string>;
  ports?: string[];
}

const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml');
const jaeger = compose.services['jaeger'];
const nodeServices = Object.entries(compose.services).filter(([, s]) => s.build?.target === 'service');
const kong = readYaml<{ plugins: { name: string; config: Record<string, any> }[] }>('gateway/kong.yml');
const otel = kong.plugins.find((plugin) => plugin.name === 'opentelemetry');

describe('tracing in Compose', () => {
  it('when Jaeger runs, then its UI is published on localhost only and OTLP stays inside the network', () => {
    expect(jaeger?.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(jaeger?.ports).toEqual(['127.0.0.1:16686:16686']);
  });

  it.each(nodeServices.map(([name, s]) => [name, s] as const))(
    'when %s runs, then it exports to Jaeger under its own name, as npm start names it',
    (name, service) => {
      expect(service.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://jaeger:4318');
      const process = STACK.find((p) => `${p.name}-service` === name);
      expect(service.environment?.['OTEL_SERVICE_NAME']).toBe(traceServiceName(process!.name));
    },
  );

  it('when Kong proxies, then its opentelemetry plugin sends W3C trace context on and exports to Jaeger', () => {
    expect(otel?.config).toMatchObject({
      traces_endpoint: 'http://jaeger:4318/v1/traces',
      propagation: { default_format: 'w3c', extract: ['w3c'], inject: ['w3c'] },
    });
    expect(new URL(otel!.config['traces_endpoint']).hostname in compose.services).toBe(true);
    // Without instrumentations switched on, the plugin has nothing to export.
    expect(compose.services['kong']?.environment?.['KONG_TRACING_INSTRUMENTATIONS']).toBe('all');
  });
});

describe('how processes are started', () => {
  it('when a service image starts, then tracing is loaded before main.js, exactly as npm start loads it', () => {
    const cmd = readText('deploy/Dockerfile')
      .split('\n')
      .find((line) => line.startsWith('CMD '));
    const [node, ...args] = JSON.parse(cmd!.slice('CMD '.length)) as string[];
    expect(node).toBe('node');
    expect(args.at(-1)).toBe('dist/main.js');
    expect(args.slice(0, -1)).toEqual(nodeArgs('services/order').slice(0, -1));
    expect(args).toContain('@foodflow/platform/tracing');
  });

  it('when tracing is imported by name, then the platform exports the module that starts it', () => {
    const manifest = JSON.parse(readText('packages/platform/package.json')) as {
      exports: Record<string, { default: string }>;
    };
    const built = manifest.exports['./tracing']?.default;
    expect(built).toBe('./dist/tracing/register.js');
    expect(existsSync(repoPath('packages/platform/src/tracing/register.ts'))).toBe(true);
  });
});
