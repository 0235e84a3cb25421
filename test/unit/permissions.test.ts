import { describe, expect, it } from 'vitest';
import type { HubContext } from '../../hub/context.ts';
import { adminApiRoutes } from '../../hub/routes/admin-api.ts';
import { ADMIN_ROUTES, can, changesData, DEFAULT_ROLES, PERMISSIONS, ROLE_IDS, ruleOf, type Permission } from '../../shared/permissions.ts';

const role = (id: string) => DEFAULT_ROLES.find((r) => r.id === id)!;
// The handlers close over the context and never run here: the router's list of routes is all this reads.
const registered = () => adminApiRoutes({} as HubContext).routes.map((r) => `${r.method} ${r.path}`);

describe('the admin route table (deny by default)', () => {
  it('every route the admin API registers has its entry, and every entry its route', () => {
    const routes = registered();
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !ADMIN_ROUTES.has(r))).toEqual([]);
    expect([...ADMIN_ROUTES.keys()].filter((k) => !routes.includes(k))).toEqual([]);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('names only permissions that exist', () => {
    for (const [route, rule] of ADMIN_ROUTES) expect(PERMISSIONS, route).toContain(rule.permission);
    for (const r of DEFAULT_ROLES) for (const p of r.permissions) expect(PERMISSIONS, `${r.id}: ${p}`).toContain(p);
  });

  it('a route missing from the table, or outside text, has no rule', () => {
    expect(ruleOf('GET', '/stores')).toEqual({ permission: 'stores:read' });
    expect(ruleOf('get', '/stores')).toEqual({ permission: 'stores:read' });
    for (const [m, p] of [['DELETE', '/stores'], ['GET', '/stores/:id/nothing'], ['GET', '__proto__'], ['constructor', ''], ['GET', '/toString']]) expect(ruleOf(m!, p!), `${m} ${p}`).toBeUndefined();
  });

  it('every write and the reads of personal data are marked so the audit log sees them', () => {
    expect(ruleOf('GET', '/members/:id')?.personal).toBe(true);
    expect(changesData('POST') && changesData('put') && changesData('DELETE')).toBe(true);
    expect(changesData('GET') || changesData('head')).toBe(false);
  });
});

describe('roles', () => {
  const allowed = (roleId: string, method: string, path: string) => can(role(roleId), ruleOf(method, path)!.permission);

  it('the five default roles', () => {
    expect(ROLE_IDS).toEqual(['admin', 'marketer', 'analyst', 'store_manager', 'field_engineer']);
    expect([...role('admin').permissions].sort()).toEqual([...PERMISSIONS].sort());
  });

  it('admin may call every route', () => {
    for (const [key] of ADMIN_ROUTES) expect(allowed('admin', key.split(' ')[0]!, key.slice(key.indexOf(' ') + 1)), key).toBe(true);
  });

  it('marketer: coupons and templates, reads the rules; never stores, rules, members, operators or the audit log', () => {
    expect(allowed('marketer', 'POST', '/coupons')).toBe(true);
    expect(allowed('marketer', 'PUT', '/templates/:id')).toBe(true);
    expect(allowed('marketer', 'GET', '/rules')).toBe(true);
    for (const [m, p] of [['POST', '/stores'], ['PUT', '/rules'], ['GET', '/members/:id'], ['POST', '/operators'], ['GET', '/audit'], ['POST', '/imports']]) expect(allowed('marketer', m!, p!), `${m} ${p}`).toBe(false);
  });

  it('analyst reads, writes nothing', () => {
    for (const [key, rule] of ADMIN_ROUTES) {
      const method = key.split(' ')[0]!;
      if (changesData(method)) expect(can(role('analyst'), rule.permission), key).toBe(false);
    }
    expect(allowed('analyst', 'GET', '/members/:id')).toBe(true);
    expect(allowed('analyst', 'GET', '/audit')).toBe(false);
  });

  it('tag rules: marketers and admins change and preview them, analysts read and preview stored ones, others neither', () => {
    for (const r of ['marketer', 'admin']) for (const [m, p] of [['GET', '/tags/rules'], ['POST', '/tags/rules'], ['PUT', '/tags/rules/:code'], ['POST', '/tags/rules/:code/retire'], ['POST', '/tags/preview'], ['GET', '/tags/rules/:code/preview']]) expect(allowed(r, m!, p!), `${r} ${m} ${p}`).toBe(true);
    for (const [m, p] of [['GET', '/tags/rules'], ['GET', '/tags/rules/:code'], ['GET', '/tags/rules/:code/preview']]) expect(allowed('analyst', m!, p!), `${m} ${p}`).toBe(true);
    for (const [m, p] of [['POST', '/tags/rules'], ['PUT', '/tags/rules/:code'], ['POST', '/tags/rules/:code/retire'], ['POST', '/tags/preview']]) expect(allowed('analyst', m!, p!), `${m} ${p}`).toBe(false);
    for (const r of ['store_manager', 'field_engineer']) expect(allowed(r, 'GET', '/tags/rules'), r).toBe(false);
  });

  it('field engineer: stores, enrollment codes, fleet; no member data', () => {
    expect(allowed('field_engineer', 'POST', '/stores')).toBe(true);
    expect(allowed('field_engineer', 'POST', '/stores/:id/codes')).toBe(true);
    expect(allowed('field_engineer', 'GET', '/fleet')).toBe(true);
    for (const [key, rule] of ADMIN_ROUTES) if (rule.personal) expect(can(role('field_engineer'), rule.permission), key).toBe(false);
    for (const p of ['members:read', 'members:reveal_pii', 'members:export', 'identity:read', 'sales:read'] as Permission[]) expect(can(role('field_engineer'), p)).toBe(false);
  });

  it('store manager: members and sales, incidents; no writes to stores or rules', () => {
    expect(allowed('store_manager', 'GET', '/members/:id')).toBe(true);
    expect(can(role('store_manager'), 'incidents:resolve')).toBe(true);
    expect(allowed('store_manager', 'POST', '/stores')).toBe(false);
    expect(allowed('store_manager', 'GET', '/fleet')).toBe(true); // their stores' rows only (decision 010)
    expect(allowed('store_manager', 'PUT', '/rules')).toBe(false);
  });

  it('can() refuses a missing role and a role stored in a wrong shape', () => {
    expect(can(undefined, 'stores:read')).toBe(false);
    expect(can({ permissions: 'stores:read' as unknown as string[] }, 'stores:read')).toBe(false);
    expect(can({ permissions: [] }, 'stores:read')).toBe(false);
  });
});
