import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueue, ORDERS_EXCHANGE } from '@foodflow/platform';
import { eventually, http, metricValue } from '@foodflow/platform/testing';
import { freshVhost, rabbitmqctl } from '../../../tests/setup/global-setup.js';
import { amqpUrl, TEST_VHOST } from '../../../tests/setup/test-env.js';
import { ORDER_CREATED_QUEUE } from '../src/popularity/order-created.consumer.js';
import { createRestaurant, orderCreatedAt, startRestaurantService, type TestRestaurantService } from './support.js';

let service: TestRestaurantService;
let amqp: amqplib.ChannelModel;
let channel: amqplib.Channel;

const orderCount = async (id: string): Promise<number> =>
  (await service.db.query<{ n: number }>('SELECT order_count AS n FROM restaurants WHERE id = $1', [id])).rows[0]?.n ??
  -1;

const consumed = async (outcome: string): Promise<number> =>
  metricValue((await http('GET', `${service.baseUrl}/metrics`)).body, 'events_consumed_total', {
    type: 'order.created',
    outcome,
  });

/** Takes messages off the dead-letter queue until one matches; the queue is this service's own. */
async function parked(matches: (msg: amqplib.GetMessage) => boolean): Promise<amqplib.GetMessage> {
  return eventually(async () => {
    for (;;) {
      const msg = await channel.get(deadLetterQueue(ORDER_CREATED_QUEUE));
      if (!msg) return undefined;
      channel.ack(msg);
      if (matches(msg)) return msg;
    }
  });
}

beforeAll(async () => {
  service = await startRestaurantService({ consume: true });
  amqp = await amqplib.connect(service.config.amqpUrl);
  channel = await amqp.createChannel();
});
afterAll(async () => {
  await amqp.close();
  await service.close();
});

describe('order.created consumer', () => {
  it('when order.created events arrive, then the restaurant order count grows by one for each', async () => {
    const owner = service.token('restaurant_owner');
    const restaurant = await createRestaurant(service, owner);
    await service.broker.publish(orderCreatedAt(restaurant.id));
    await service.broker.publish(orderCreatedAt(restaurant.id));
    await eventually(async () => ((await orderCount(restaurant.id)) === 2 ? true : undefined));
  });

  it('when the same event is delivered twice, then it counts once', async () => {
    const restaurant = await createRestaurant(service, service.token('restaurant_owner'));
    const event = orderCreatedAt(restaurant.id);
    const duplicatesBefore = await consumed('duplicate');
    await service.broker.publish(event);
    await service.broker.publish(event);
    await eventually(async () => ((await consumed('duplicate')) > duplicatesBefore ? true : undefined));
    expect(await orderCount(restaurant.id)).toBe(1);
    const inbox = await service.db.query('SELECT type FROM inbox WHERE event_id = $1', [event.id]);
    expect(inbox.rows).toEqual([{ type: 'order.created' }]);
  });

  it('when a message is not JSON, then it is parked in the dead-letter queue', async () => {
    const messageId = randomUUID();
    channel.publish(ORDERS_EXCHANGE, 'order.created', Buffer.from('{not json'), { messageId, persistent: true });
    const msg = await parked((m) => m.properties.messageId === messageId);
    expect(msg.content.toString()).toBe('{not json');
  });

  it('when the event lacks a restaurant id, then it is parked, not counted, and the stream goes on', async () => {
    const broken = { ...orderCreatedAt(randomUUID()), data: { orderId: randomUUID() } };
    await service.broker.publish(broken);
    const msg = await parked((m) => m.properties.messageId === broken.id);
    expect(JSON.parse(msg.content.toString()).id).toBe(broken.id);

    const restaurant = await createRestaurant(service, service.token('restaurant_owner'));
    await service.broker.publish(orderCreatedAt(restaurant.id));
    await eventually(async () => ((await orderCount(restaurant.id)) === 1 ? true : undefined));
  });

  it('when the restaurant is unknown here, then the event is acknowledged without counting', async () => {
    const event = orderCreatedAt(randomUUID());
    await service.broker.publish(event);
    await eventually(async () => {
      const { rowCount } = await service.db.query('SELECT 1 FROM inbox WHERE event_id = $1', [event.id]);
      return rowCount === 1 ? true : undefined;
    });
  });
});

describe('starting before any other service', () => {
  // A broker of its own where nothing has declared anything: the order service has never run there.
  const vhost = `${TEST_VHOST}_any_order`;
  const exchanges = () => rabbitmqctl('list_exchanges', '-p', vhost, 'name', 'type', 'durable');
  let alone: TestRestaurantService | undefined;
  let outside: amqplib.ChannelModel | undefined;

  beforeAll(() => freshVhost(vhost));
  afterAll(async () => {
    await outside?.close();
    await alone?.close();
    rabbitmqctl('delete_vhost', vhost);
  });

  it('when the service starts where orders_exchange does not exist, then it declares it and counts order.created published there', async () => {
    expect(exchanges()).not.toContain(ORDERS_EXCHANGE);
    alone = await startRestaurantService({ consume: true, env: { AMQP_URL: amqpUrl(vhost) } });
    expect(exchanges()).toMatch(new RegExp(`^${ORDERS_EXCHANGE}\\ttopic\\ttrue$`, 'm'));

    const restaurant = await createRestaurant(alone, alone.token('restaurant_owner'));
    // Published as the order service publishes, by a connection that declares nothing.
    outside = await amqplib.connect(amqpUrl(vhost));
    const publisher = await outside.createConfirmChannel();
    const event = orderCreatedAt(restaurant.id);
    publisher.publish(ORDERS_EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), {
      messageId: event.id,
      type: event.type,
      contentType: 'application/json',
      persistent: true,
    });
    await publisher.waitForConfirms();
    await eventually(async () => ((await orderCount(restaurant.id)) === 1 ? true : undefined));
  });
});
