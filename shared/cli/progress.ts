/**
 * A one-line progress display on stderr: redrawn on a terminal, a line every few seconds in a log.
 * `done` and `total` measure the work (for ETA); `items`, when given, is what is shown and rated
 * instead: an import measures its work in bytes of the file but reports rows per second.
 */
export function progressPrinter(label: string) {
  const started = Date.now();
  let lastLine = 0;
  const tty = process.stderr.isTTY;
  return {
    update(done: number, total?: number, items?: number) {
      const now = Date.now();
      if (!tty && now - lastLine < 2000 && done !== total) return;
      lastLine = now;
      const secs = (now - started) / 1000;
      const rate = secs > 0 ? Math.round(done / secs) : 0;
      const pct = total ? ` ${((100 * done) / total).toFixed(0)}%` : '';
      const eta = total && rate > 0 && done < total ? ` eta ${Math.ceil((total - done) / rate)}s` : '';
      const shown = items === undefined
        ? `${done}${total ? `/${total}` : ''}${pct} ${rate}/s`
        : `${items} rows${pct} ${secs > 0 ? Math.round(items / secs) : 0} rows/s`;
      const line = `${label}: ${shown}${eta}`;
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
