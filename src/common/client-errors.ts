import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node's HTTP parser refuses (a request line or headers over its 16 KiB limit, broken syntax)
 * never reach Express, and Node's own answer is a bare 431 or 400. They get the error envelope too:
 * 400 validation_error, the code §2 gives a malformed request.
 */
export function answerUnparsableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A client that went away or timed out mid-request is owed nothing.
    if (error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) return void socket.destroy();
    const message = error.code === 'HPE_HEADER_OVERFLOW' ? 'The request line and headers are too large' : 'Malformed HTTP request';
    const body = JSON.stringify({ code: 'validation_error', message, detail: {} });
    // The answer to a HEAD has no body, even when the request was refused.
    const head = (error as { rawPacket?: Buffer }).rawPacket?.toString('latin1', 0, 5) === 'HEAD ';
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${head ? '' : body}`,
    );
  });
}
