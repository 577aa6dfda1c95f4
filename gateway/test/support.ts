import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetrics, createRedis, TokenVerifier } from '@foodflow/platform';
import { startHttp } from '@foodflow/platform/testing';
import express from 'express';
import { stringify } from 'yaml';
import { testEnv } from '../../tests/setup/test-env.js';
import { createApp } from '../src/app.js';
import { loadGatewayConfig, serviceUrlVariable } from '../src/config.js';
import { readKongDeclaration } from '../src/kong/declaration.js';

export const SERVICES = readKongDeclaration().services.map((s) => s.name);

export interface RunningGateway {
  baseUrl: string;
  server: Server;
  close: () => Promise<void>;
}

/** The real gateway on port 0, with every Kong service pointed at `serviceUrl` unless `env` says otherwise. */
export async function startGateway(options: {
  publicKey: string;
  serviceUrl: string;
  env?: Record<string, string>;
}): Promise<RunningGateway> {
  const env = {
    ...testEnv('gateway'),
    JWT_PUBLIC_KEY: options.publicKey,
    ...Object.fromEntries(SERVICES.map((name) => [serviceUrlVariable(name), options.serviceUrl])),
    ...options.env,
  };
  const config = loadGatewayConfig(env);
  const logger = createLogger({ service: config.service, silent: true });
  const redis = createRedis(config.redisUrl, logger, 'gateway-test');
  // As main.ts does: counters go to Redis from the first request on, when Redis is there.
  await redis.ping().catch(() => undefined);
  const gateway = createApp({
    config,
    logger,
    metrics: createMetrics(config.service),
    redis,
    verifier: new TokenVerifier(config.auth),
  });
  const server = createServer(gateway.handle);
  server.on('upgrade', gateway.upgrade);
  server.on('clientError', gateway.clientError);
  const running = await startHttp(server);
  return {
    baseUrl: running.baseUrl,
    server,
    close: async () => {
      await running.close();
      gateway.stop();
      await redis.quit();
    },
  };
}

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodyBytes: number;
}

/** A real HTTP service that answers every request with what it received, and remembers it. */
export async function startEchoService(): Promise<{ baseUrl: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const app = express();
  app.use(async (req, res) => {
    let bodyBytes = 0;
    for await (const chunk of req) bodyBytes += (chunk as Buffer).length;
    const entry = { method: req.method, url: req.originalUrl, headers: req.headers, bodyBytes };
    seen.push(entry);
    res.json(entry);
  });
  const running = await startHttp(app);
  return { baseUrl: running.baseUrl, seen, close: running.close };
}

/** A made-up client address, passed through X-Forwarded-For as Nginx does (the test runs on loopback, a trusted proxy). */
export const randomClientIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** A copy of the Kong declaration whose services give up after `ms` (a hung service is tested in moments). */
export function declarationWithReadTimeout(ms: number): string {
  const declaration = readKongDeclaration();
  for (const service of declaration.services) service.read_timeout = ms;
  const file = join(mkdtempSync(join(tmpdir(), 'foodflow-kong-')), 'kong.yml');
  writeFileSync(file, stringify(declaration));
  return file;
}
