import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Options } from 'amqplib';
import type { EventEnvelope } from '../events/envelope.js';
import { ORDERS_EXCHANGE } from '../events/envelope.js';
import type { Logger } from '../logging/logger.js';

export interface BrokerOptions {
  url: string;
  logger: Logger;
  /** Shown in the RabbitMQ management UI as the connection name. */
  name: string;
  /** How long a publish may wait for the broker's confirm before it counts as failed. */
  publishTimeoutMs?: number;
}

/** Declares the exchange; every service does so itself, so services can start in any order. */
export const assertExchange = async (channel: ConfirmChannel): Promise<void> => {
  await channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
};

/**
 * One RabbitMQ connection per process that reconnects by itself, with a confirm channel for publishing:
 * `publish` resolves only once the broker has taken responsibility for the message.
 */
export class Broker {
  readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;

  constructor(private readonly options: BrokerOptions) {
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 1,
      connectionOptions: { clientProperties: { connection_name: options.name } },
    });
    this.connection.on('connect', () => options.logger.info('Connected to RabbitMQ'));
    this.connection.on('disconnect', ({ err }) => options.logger.warn('Disconnected from RabbitMQ', { err }));
    this.publisher = this.createChannel(assertExchange);
  }

  createChannel(setup: (channel: ConfirmChannel) => Promise<void>): ChannelWrapper {
    const channel = this.connection.createChannel({
      json: false,
      confirm: true,
      publishTimeout: this.options.publishTimeoutMs ?? 5000,
      setup,
    });
    // A channel that fails while being set up (say, the connection closes midway) is set up again on the
    // next connect; the failure is worth a log line, and an 'error' without a listener would crash us.
    channel.on('error', (err: unknown) => this.options.logger.warn('RabbitMQ channel could not be set up', { err }));
    return channel;
  }

  /** Publishes a persistent event to `orders_exchange` under its type and waits for the broker's confirm. */
  async publish(event: EventEnvelope, options: Options.Publish = {}): Promise<void> {
    await this.publisher.publish(ORDERS_EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), {
      ...options,
      persistent: true,
      contentType: 'application/json',
      messageId: event.id,
      type: event.type,
      timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
      ...(event.correlationId ? { correlationId: event.correlationId } : {}),
    });
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** Waits until connected, or throws after `timeoutMs`. */
  async waitForConnection(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`RabbitMQ not reachable within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.publisher.waitForConnect(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.publisher.close();
    await this.connection.close();
  }
}
