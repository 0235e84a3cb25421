/**
 * Structured log lines on stderr. Callers pass facts, never secrets: tokens and full phone
 * numbers do not belong in a log.
 */
export type LogFields = Record<string, unknown>;
export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** The last line of a process that is about to exit because of what it says. Never quiet. */
  fatal(msg: string, fields?: LogFields): void;
}

export function createLog(service: string, quiet = false): Log {
  const write = (level: string, msg: string, fields?: LogFields) => {
    if (quiet && level === 'info') return;
    process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, service, msg, ...fields }) + '\n');
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    fatal: (m, f) => write('fatal', m, f),
  };
}
