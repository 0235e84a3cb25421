import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TerminalId } from '../shared/schemas/common.ts';
import { hashSecret as hashToken, newSecret } from '../shared/secrets.ts';
import { writeFileAtomic } from '../shared/cli/write-file-atomic.ts';
import { paths } from './node-dir.ts';

/**
 * POS terminal credentials. A token is 32 random bytes, shown once; only its SHA-256 is stored
 * (a slow hash buys nothing for a secret with 256 bits of entropy, and auth stays on the hot path).
 */
const TerminalsFileSchema = z.object({
  terminals: z.array(z.object({ id: TerminalId, tokenHash: z.string(), createdAt: z.string(), revoked: z.boolean().default(false) })),
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

/**
 * Resolves bearer tokens to terminal ids. `terminal add` may run while the node serves, so an
 * unknown token makes it check whether the file changed (one stat) before refusing.
 */
export class TerminalRegistry {
  private byHash = new Map<string, string>();
  /** Tokens already verified, so the hot path skips hashing; cleared whenever the file changes. */
  private verified = new Map<string, string>();
  private mtimeMs = -1;
  private statAt = 0;

  private constructor(private readonly dir: string) {}

  static async load(dir: string): Promise<TerminalRegistry> {
    const r = new TerminalRegistry(dir);
    await r.reload();
    return r;
  }

  private async reload(): Promise<void> {
    const file = paths(this.dir).terminals;
    this.mtimeMs = existsSync(file) ? statSync(file).mtimeMs : 0;
    const { terminals } = await readTerminals(this.dir);
    this.byHash = new Map(terminals.filter((t) => !t.revoked).map((t) => [t.tokenHash, t.id]));
    this.verified = new Map();
  }

  private async reloadIfChanged(): Promise<void> {
    this.statAt = Date.now();
    const file = paths(this.dir).terminals;
    const mtime = existsSync(file) ? statSync(file).mtimeMs : 0;
    if (mtime !== this.mtimeMs) await this.reload();
  }

  /**
   * The terminal of a token verified before, without waiting: the path every POS call takes.
   * Undefined means "ask terminalFor", not "refused".
   */
  knownTerminal(token: string): string | undefined {
    // A re-keyed terminal's old token must stop working within seconds, even if never refused.
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
