import { afterAll, describe, expect, it } from 'vitest';
import { Broker, createLogger } from '@foodflow/platform';
import { testEnv } from '../../../tests/setup/test-env.js';

const logger = createLogger({ service: 'platform-test', silent: true });
const { AMQP_URL } = testEnv('orders_service');

describe('broker channels', () => {
  const broker = new Broker({ url: AMQP_URL, logger, name: 'platform-test' });
  afterAll(() => broker.close());

  it('when a channel reports a failed setup, then it is logged and the process goes on', async () => {
    const channel = broker.createChannel(async () => undefined);
    await channel.waitForConnect();
    const warnings: unknown[] = [];
    const warn = logger.warn.bind(logger);
    logger.warn = ((message: string, meta?: unknown) => {
      warnings.push({ message, meta });
      return warn(message, meta);
    }) as typeof logger.warn;
    try {
      // What amqp-connection-manager does when the connection closes while a consumer is being set up
      // again: an 'error' with no listener would be thrown as an unhandled rejection.
      expect(() =>
        channel.emit('error', new Error('Channel ended, no reply will be forthcoming'), { name: 'test' }),
      ).not.toThrow();
      expect(warnings).toMatchObject([{ message: 'RabbitMQ channel could not be set up' }]);
    } finally {
      logger.warn = warn;
      await channel.close();
    }
  });
});
