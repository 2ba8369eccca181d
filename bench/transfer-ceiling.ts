/**
 * The ceiling of bench/transfer.ts: the least a server can do to take a file and give it back.
 * node:http, no framework, no database, no multipart parsing, no hashing: `PUT /file` streams the
 * request body to a file on disk, `GET /file` streams that file back.
 *
 *   FILE=/path/on/disk PORT=8124 node dist/bench/transfer-ceiling.js
 */
import fs from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';

const file = process.env.FILE!;
const server = http.createServer((req, res) => {
  if (req.method === 'PUT') {
    pipeline(req, fs.createWriteStream(file)).then(
      () => res.writeHead(204).end(),
      (error) => res.writeHead(500).end(String(error)),
    );
    return;
  }
  const { size } = fs.statSync(file);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  pipeline(fs.createReadStream(file), res).catch(() => res.destroy());
});
const port = Number(process.env.PORT ?? 8124);
server.listen(port, '127.0.0.1', () => console.log(`transfer ceiling listening on ${port}`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
