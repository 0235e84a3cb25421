import { readFile } from 'node:fs/promises';
import { need, UsageError } from '../../shared/cli/args.ts';

type Call = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

interface RuleRow {
  code: string;
  class: string;
  status: string;
  version: number;
  names: { 'zh-CN': string; en: string };
}

const readRule = async (file: string | undefined) => {
  const path = need('FILE', file);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(`cannot read a tag rule from ${path}: ${(err as Error).message}`);
  }
};

/**
 * `hub tags list|show CODE|set FILE|retire CODE|preview FILE` over the admin API; answers the
 * text to print. `set` replaces the rule under the file's code (PUT), made from the file's
 * `version` when it has one: a rule changed meanwhile is refused, as in the console.
 */
export async function tagsCommand(call: Call, args: string[], opts: { class?: string | undefined; code?: string | undefined }): Promise<string> {
  const [sub, arg] = args;
  switch (sub) {
    case 'list': {
      const { rules } = (await call('GET', `/tags/rules${opts.class ? `?class=${encodeURIComponent(opts.class)}` : ''}`)) as unknown as { rules: RuleRow[] };
      return rules.map((r) => [r.code.padEnd(28), r.class.padEnd(11), r.status.padEnd(8), `v${r.version}`.padEnd(5), `${r.names['zh-CN']} / ${r.names.en}`].join(' ')).join('\n') || '(no tag rules)';
    }
    case 'show':
      return JSON.stringify(await call('GET', `/tags/rules/${encodeURIComponent(need('CODE (tags show CODE)', arg))}`), null, 2);
    case 'set': {
      const rule = (await readRule(arg)) as { code?: unknown };
      if (typeof rule !== 'object' || rule === null || typeof rule.code !== 'string') throw new UsageError('the file must hold one tag rule (a JSON object with its "code")');
      const res = (await call('PUT', `/tags/rules/${encodeURIComponent(rule.code)}`, rule)) as { rule: RuleRow };
      return `tag rule ${res.rule.code} saved as version ${res.rule.version} (${res.rule.status})`;
    }
    case 'retire': {
      const res = (await call('POST', `/tags/rules/${encodeURIComponent(need('CODE (tags retire CODE)', arg))}/retire`, {})) as { rule: RuleRow };
      return `tag rule ${res.rule.code} retired (version ${res.rule.version})`;
    }
    case 'preview': {
      const res = (opts.code !== undefined ? await call('GET', `/tags/rules/${encodeURIComponent(opts.code)}/preview`) : await call('POST', '/tags/preview', { rule: await readRule(arg) })) as { preview: { day: string; evaluated: number; count: number; sample: string[] } };
      const p = res.preview;
      return [`${p.count} of ${p.evaluated} members on ${p.day}`, ...(p.sample.length > 0 ? [`sample: ${p.sample.join(' ')}`] : [])].join('\n');
    }
    default:
      throw new UsageError(`unknown command 'tags ${args.join(' ')}'`);
  }
}
