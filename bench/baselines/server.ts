import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import express from 'express';

/**
 * A baseline server answering every request with the same response: `express` (a bare Express 5 app, no
 * middleware) or `node-http` (the bare `node:http` module). The response is the one the service sent,
 * headers included, so each baseline puts the same bytes on the wire and the comparison is about the
 * work done per request, not about the size of the answer.
 * Usage: server.ts <kind> <port> <bodyFile> <headersFile (a JSON object)>.
 */
const [kind, port, bodyFile, headersFile] = process.argv.slice(2);
if (!kind || !port || !bodyFile || !headersFile)
  throw new Error('usage: server.ts <kind> <port> <bodyFile> <headersFile>');
const body = readFileSync(bodyFile);
const headers = JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>;

let server: Server;
if (kind === 'express') {
  const app = express();
  // The service sends no X-Powered-By either.
  app.disable('x-powered-by');
  app.use((_req, res) => {
    res.set(headers).send(body);
  });
  server = createServer(app);
} else if (kind === 'node-http') {
  const all = { ...headers, 'content-length': String(body.length) };
  server = createServer((_req, res) => {
    res.writeHead(200, all);
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
