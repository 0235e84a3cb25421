import { existsSync } from 'node:fs';
import { RULES_ID, docId } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { DEFAULT_TEMPLATES } from '../shared/schemas/coupon.ts';
import { DEFAULT_RULES } from '../shared/schemas/rules.ts';
import type { Log } from '../shared/cli/log.ts';
import { createNodeDir, paths, readNodeConfig, type NodeConfig } from './node-dir.ts';
import { openNode } from './node.ts';

/**
 * Creates a node's data dir with the default loyalty rules and coupon templates (the hub
 * replaces both once the store is enrolled). Safe to run again for the same store.
 */
export async function initNode(dir: string, config: NodeConfig, log: Log): Promise<'created' | 'exists'> {
  if (existsSync(paths(dir).config)) {
    const existing = await readNodeConfig(dir);
    if (existing.storeId !== config.storeId) throw new AppError('bad_request', `${dir} already belongs to store ${existing.storeId}`);
    return 'exists';
  }
  await createNodeDir(dir, config);
  const node = await openNode({ dir, log });
  try {
    await node.live.write([
      { _id: RULES_ID, type: 'rules', rules: DEFAULT_RULES },
      ...DEFAULT_TEMPLATES.map((template) => ({ _id: docId.template(template.id), type: 'tpl' as const, template })),
    ]);
  } finally {
    await node.close();
  }
  return 'created';
}
