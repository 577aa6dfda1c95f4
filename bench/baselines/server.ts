import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import express from 'express';

/**
 * A baseline server answering every request with the same bytes: `express` (a bare Express 5 app, no
 * middleware) or `node-http` (the bare `node:http` module). Usage: server.ts <kind> <port> <bodyFile> <contentType>.
 */
const [kind, port, bodyFile, contentType] = process.argv.slice(2);
if (!kind || !port || !bodyFile || !contentType)
  throw new Error('usage: server.ts <kind> <port> <bodyFile> <contentType>');
const body = readFileSync(bodyFile);

let server: Server;
if (kind === 'express') {
  const app = express();
  app.use((_req, res) => {
    res.type(contentType).send(body);
  });
  server = createServer(app);
} else if (kind === 'node-http') {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  });
} else {
  throw new Error(`unknown baseline ${kind}`);
}
server.listen(Number(port), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
