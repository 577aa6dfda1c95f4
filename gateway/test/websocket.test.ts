import { createServer } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { generateTestKeys, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from './support.js';

const keys = generateTestKeys();

let realtime: Awaited<ReturnType<typeof startHttp>>;
let sockets: Server;
let gateway: RunningGateway;
const handshakes: { token: unknown; requestId: unknown }[] = [];

beforeAll(async () => {
  // A real Socket.IO server standing in for the delivery service's tracking endpoint: it refuses a
  // handshake without a token, as the delivery service does, and answers `track` with an ack.
  const server = createServer();
  sockets = new Server(server, { path: '/socket.io' });
  sockets.use((socket, next) => {
    handshakes.push({ token: socket.handshake.auth['token'], requestId: socket.handshake.headers['x-request-id'] });
    next(socket.handshake.auth['token'] ? undefined : new Error('UNAUTHENTICATED'));
  });
  sockets.on('connection', (socket) => {
    socket.on('track', (payload: { orderId: string }, ack: (answer: unknown) => void) =>
      ack({ ok: true, orderId: payload.orderId, transport: socket.conn.transport.name }),
    );
  });
  realtime = await startHttp(server);
  gateway = await startGateway({ publicKey: keys.publicKey, serviceUrl: realtime.baseUrl });
});

afterAll(async () => {
  await gateway?.close();
  await sockets?.close();
});

const connect = (options: Parameters<typeof io>[1]): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = io(gateway.baseUrl, { reconnection: false, timeout: 5000, ...options });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });

describe('real-time tracking through the gateway', () => {
  it('when a client connects over WebSocket with a token, then the upgrade is proxied and events flow both ways', async () => {
    const token = signTestAccessToken({ privateKey: keys.privateKey });
    const socket = await connect({ transports: ['websocket'], auth: { token } });
    try {
      const ack = await socket.timeout(5000).emitWithAck('track', { orderId: 'order-1' });

      expect(ack).toEqual({ ok: true, orderId: 'order-1', transport: 'websocket' });
      expect(handshakes.at(-1)).toEqual({ token, requestId: expect.any(String) });
    } finally {
      socket.close();
    }
  });

  it('when a client starts with long-polling, then it is proxied too and upgrades to WebSocket', async () => {
    const token = signTestAccessToken({ privateKey: keys.privateKey });
    const socket = await connect({ auth: { token } });
    try {
      await new Promise<void>((resolve) => {
        if (socket.io.engine.transport.name === 'websocket') resolve();
        else socket.io.engine.once('upgrade', () => resolve());
      });
      const ack = await socket.timeout(5000).emitWithAck('track', { orderId: 'order-2' });

      expect(ack).toMatchObject({ ok: true, orderId: 'order-2', transport: 'websocket' });
    } finally {
      socket.close();
    }
  });

  it('when the handshake carries no token, then the service refuses it (the gateway does not check tokens here)', async () => {
    await expect(connect({ transports: ['websocket'] })).rejects.toThrow('UNAUTHENTICATED');
  });

  it('when a client drops its WebSocket with a reset, then the gateway goes on serving', async () => {
    const port = Number(new URL(gateway.baseUrl).port);
    const client = connectTcp(port, '127.0.0.1');
    client.on('error', () => undefined);
    client.write(
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const answer = await new Promise<string>((resolve) =>
      client.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    expect(answer).toMatch(/^HTTP\/1.1 101 /);
    // What a closing browser tab or a lost network does: the connection ends with a TCP reset, not a close.
    client.resetAndDestroy();
    await new Promise((resolve) => client.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const token = signTestAccessToken({ privateKey: keys.privateKey });
    const socket = await connect({ transports: ['websocket'], auth: { token } });
    try {
      expect(await socket.timeout(5000).emitWithAck('track', { orderId: 'order-3' })).toMatchObject({ ok: true });
    } finally {
      socket.close();
    }
  });
});
