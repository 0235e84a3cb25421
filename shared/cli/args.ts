/** A mistake in how a command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export function need(name: string, value: string | undefined): string {
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** A non-negative integer option, or the fallback when it is absent (required without one). */
export function int(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

/** Runs a CLI's main: usage errors exit 2 with the usage, other errors exit 1 with their message. */
export function runCli(main: (argv: string[]) => Promise<void>, usage: string): void {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`error: ${(err as Error).message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(`error: ${String((err as Error)?.message ?? err)}`);
    process.exit(1);
  });
}
