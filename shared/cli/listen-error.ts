import { serve, type ServerType } from '@hono/node-server';
import type { Socket } from 'node:net';

/**
 * What to tell a person whose server could not listen: one line that says what to change,
 * instead of a raw EADDRINUSE stack. Other errors pass through unchanged.
 *
 * @example listenError(err, { port: 8401, host: '127.0.0.1', command: 'edge serve' }).message
 * // 'port 8401 on 127.0.0.1 is in use (another edge serve?); choose another with --port'
 */
export function listenError(err: unknown, where: { port: number; host: string; command: string }): unknown {
  const { port, host, command } = where;
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE':
      return new Error(`port ${port} on ${host} is in use (another ${command}?); choose another with --port`);
    case 'EACCES':
      return new Error(`not allowed to listen on port ${port} on ${host}; choose a port above 1023 with --port`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new Error(`${host} is not an address of this machine; choose another with --host (0.0.0.0 for every interface)`);
    default:
      return err;
  }
}

/**
 * Serves `fetch` on host:port, or fails with one line a person can act on (listenError). `env`
 * is @hono/node-server's `{incoming, outgoing}`: the client's address is there. A
 * request Node itself refuses before any handler sees it (headers over 16 KiB: a 10,000-character
 * id in the URL) still gets the services' error shape, not an empty 431.
 */
export async function listen(fetch: (req: Request, env: unknown) => Response | Promise<Response>, where: { port: number; host: string; command: string }): Promise<ServerType> {
  try {
    const server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch, port: where.port, hostname: where.host }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
    return server;
  } catch (err) {
    throw listenError(err, where);
  }
}

function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) return void socket.destroy();
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'the request line and headers exceed 16 KiB'] : [400, 'bad_request', 'a malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
