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
