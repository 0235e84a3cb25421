import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { TerminalId } from '../shared/schemas/common.ts';
import { hashSecret as hashToken, newSecret } from '../shared/secrets.ts';
import { writeFileAtomic } from '../shared/cli/write-file-atomic.ts';
import { paths } from './node-dir.ts';

/**
 * POS terminal credentials. A token is 32 random bytes, shown once; only its SHA-256 is stored
 * (a slow hash buys nothing for a secret with 256 bits of entropy, and auth stays on the hot path).
 */
const TerminalsFileSchema = z.object({
  terminals: z.array(z.object({ id: TerminalId, tokenHash: z.string(), createdAt: z.string(), revoked: z.boolean().default(false), revokedAt: z.string().optional() })),
});
type TerminalsFile = z.infer<typeof TerminalsFileSchema>;

async function readTerminals(dir: string): Promise<TerminalsFile> {
  const file = paths(dir).terminals;
  if (!existsSync(file)) return { terminals: [] };
  return TerminalsFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

/** Adds (or re-keys) a terminal and returns its new token; an earlier token of the same id stops working. */
export async function addTerminal(dir: string, id: string, now: Date): Promise<string> {
  const token = `met_${newSecret()}`;
  const file = await readTerminals(dir);
  const terminals = file.terminals.filter((t) => t.id !== id);
  terminals.push({ id, tokenHash: hashToken(token), createdAt: now.toISOString(), revoked: false });
  await writeFileAtomic(paths(dir).terminals, JSON.stringify({ terminals }, null, 2) + '\n');
  return token;
}

/** A terminal as `terminal list` shows it: never its token or the token's hash. */
export interface TerminalView {
  id: string;
  createdAt: string;
  revoked: boolean;
  revokedAt?: string;
}

export async function listTerminals(dir: string): Promise<TerminalView[]> {
  const { terminals } = await readTerminals(dir);
  return terminals.map(({ id, createdAt, revoked, revokedAt }) => ({ id, createdAt, revoked, ...(revokedAt ? { revokedAt } : {}) }));
}

/**
 * Revokes a terminal: its token stops working within seconds on a serving node (the registry
 * notices the file changed). `terminal add` with the same id gives it a new token.
 */
export async function revokeTerminal(dir: string, id: string, now: Date): Promise<{ alreadyRevokedAt?: string }> {
  const file = await readTerminals(dir);
  const terminal = file.terminals.find((t) => t.id === id);
  if (!terminal) throw new AppError('not_found', `no terminal ${id} in ${dir}; 'terminal list' shows them`);
  if (terminal.revoked) return { alreadyRevokedAt: terminal.revokedAt ?? 'an earlier time' };
  terminal.revoked = true;
  terminal.revokedAt = now.toISOString();
  await writeFileAtomic(paths(dir).terminals, JSON.stringify(file, null, 2) + '\n');
  return {};
}

/**
 * Resolves bearer tokens to terminal ids. `terminal add` may run while the node serves, so an
 * unknown token makes it check whether the file changed (one stat) before refusing.
 */
export class TerminalRegistry {
  private byHash = new Map<string, string>();
  /** Tokens already verified, so the hot path skips hashing; cleared whenever the file changes. */
  private verified = new Map<string, string>();
  /** What the file was when last read; a rewrite (atomic: a new inode) or an edit changes it. */
  private version = '';
  private statAt = 0;

  private constructor(private readonly dir: string) {}

  static async load(dir: string): Promise<TerminalRegistry> {
    const r = new TerminalRegistry(dir);
    await r.reload();
    return r;
  }

  private fileVersion(): string {
    const file = paths(this.dir).terminals;
    if (!existsSync(file)) return 'none';
    const s = statSync(file);
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  }

  private async reload(): Promise<void> {
    this.version = this.fileVersion();
    const { terminals } = await readTerminals(this.dir);
    this.byHash = new Map(terminals.filter((t) => !t.revoked).map((t) => [t.tokenHash, t.id]));
    this.verified = new Map();
  }

  private async reloadIfChanged(): Promise<void> {
    this.statAt = Date.now();
    if (this.fileVersion() !== this.version) await this.reload();
  }

  /**
   * The terminal of a token verified before, without waiting: the path every POS call takes.
   * Undefined means "ask terminalFor", not "refused".
   */
  knownTerminal(token: string): string | undefined {
    // A re-keyed or revoked terminal's token must stop working within seconds, even if never refused.
    if (Date.now() - this.statAt > 5000) return undefined;
    return this.verified.get(token);
  }

  async terminalFor(token: string): Promise<string | undefined> {
    if (Date.now() - this.statAt > 5000) await this.reloadIfChanged();
    const known = this.verified.get(token);
    if (known !== undefined) return known;
    const hash = hashToken(token);
    const id = this.byHash.get(hash);
    if (id !== undefined) {
      this.verified.set(token, id);
      return id;
    }
    await this.reloadIfChanged();
    const fresh = this.byHash.get(hash);
    if (fresh !== undefined) this.verified.set(token, fresh);
    return fresh;
  }
}
