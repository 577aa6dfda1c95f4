import { createLogger, createRedis, revokedTokenKey } from '@foodflow/platform';
import { http, signTestAccessToken } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchingTokenVerifier } from '../src/auth/batching-token-verifier.js';
import { loadDeliveryConfig } from '../src/config.js';
import { connect, env, type Instance, keys, sleep, startInstance, token, user, World } from './support.js';

let service: Instance;
let world: World;

beforeAll(async () => {
  service = await startInstance();
  world = await new World().open();
});

afterAll(async () => {
  await service?.close();
  await world?.close();
});

/** The `jti` claim of a token: the id its revocation is keyed by. */
const tokenId = (accessToken: string): string =>
  (JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString()) as { jti: string }).jti;

const revoke = (accessToken: string): Promise<unknown> =>
  world.redis.set(revokedTokenKey(tokenId(accessToken)), '1', 'EX', 60);

const deliveries = (accessToken: string) => http('GET', `${service.baseUrl}/api/deliveries`, { token: accessToken });

describe('access tokens used again and again', () => {
  it('when a token is revoked after it was accepted, then its next request is refused and others still pass', async () => {
    const driver = user('driver');
    const other = user('driver');
    expect((await deliveries(driver.token)).status).toBe(200);

    await revoke(driver.token);
    const refused = await deliveries(driver.token);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/revoked/) });
    expect((await deliveries(other.token)).status).toBe(200);
  });

  it('when requests with revoked and live tokens arrive together, then each is answered for its own token', async () => {
    const drivers = Array.from({ length: 20 }, () => user('driver'));
    await Promise.all(drivers.map((d) => deliveries(d.token)));
    const revoked = drivers.filter((_, i) => i % 3 === 0);
    await Promise.all(revoked.map((d) => revoke(d.token)));

    const answers = await Promise.all(drivers.map((d) => deliveries(d.token)));
    expect(answers.map((res) => res.status)).toEqual(drivers.map((d) => (revoked.includes(d) ? 401 : 200)));
  });

  it('when a token that was accepted expires, then TOKEN_EXPIRED', async () => {
    const shortLived = token('driver', undefined, 'Brief', 1);
    expect((await deliveries(shortLived)).status).toBe(200);
    await sleep(2100);
    const res = await deliveries(shortLived);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
  });

  it('when a token is revoked before the handshake, then the socket is refused', async () => {
    const customer = user('customer');
    await revoke(customer.token);
    const failure = await connect(service.baseUrl, customer.token).then(
      () => undefined,
      (err: Error & { data?: { code: string } }) => err,
    );
    expect(failure?.data?.code).toBe('UNAUTHENTICATED');
  });

  it('when Redis cannot be reached, then the check fails closed (DEPENDENCY_UNAVAILABLE)', async () => {
    const deadRedis = createRedis('redis://127.0.0.1:1/0', createLogger({ service: 'delivery-test', silent: true }));
    const verifier = new BatchingTokenVerifier({ ...loadDeliveryConfig(env).auth, redis: deadRedis });
    try {
      const accessToken = signTestAccessToken({ privateKey: keys.privateKey, role: 'driver' });
      await expect(verifier.verify(accessToken)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
      await expect(verifier.verify(accessToken)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    } finally {
      deadRedis.disconnect();
    }
  });
});
