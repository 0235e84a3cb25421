/*
 * Who may do what at the hub (issue 11, decision 009). A role is data: a name and a list of
 * permissions, stored at the hub and seeded with DEFAULT_ROLES. Every admin route needs exactly
 * one permission, named in ADMIN_ROUTES; a route without an entry is refused, whoever asks.
 * Which data an operator may see (their scope along the org tree) is a separate question,
 * answered by the hub's services (shared/org-scope.ts, hub/org/, decision 010); here only what
 * they may do.
 */

export const PERMISSIONS = [
  'stores:read',
  'stores:write',
  'fleet:read',
  'rules:read',
  'rules:write',
  'templates:write',
  'products:read',
  'products:write',
  'coupons:issue',
  'members:read',
  'members:reveal_pii',
  'members:export',
  'members:consent',
  'members:erase',
  'members:seed',
  'sales:read',
  'identity:read',
  'identity:write',
  'incidents:read',
  'incidents:resolve',
  'tags:read',
  'tags:write',
  'segments:read',
  'segments:write',
  'campaigns:read',
  'campaigns:write',
  'audit:read',
  'operators:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Role {
  id: string;
  title: string;
  permissions: readonly string[];
}

/** The roles a new hub starts with; stored as documents, so an admin may later change them. */
export const DEFAULT_ROLES: readonly Role[] = [
  { id: 'admin', title: 'Administrator: everything', permissions: PERMISSIONS },
  { id: 'marketer', title: 'Marketer: tag rules, segments, campaigns, coupons; reads the rules', permissions: ['coupons:issue', 'templates:write', 'rules:read', 'products:read', 'tags:read', 'tags:write', 'segments:read', 'segments:write', 'campaigns:read', 'campaigns:write'] },
  {
    id: 'analyst',
    title: 'Analyst: reads everything in scope, exports',
    permissions: ['stores:read', 'fleet:read', 'rules:read', 'products:read', 'members:read', 'members:export', 'sales:read', 'identity:read', 'incidents:read', 'tags:read', 'segments:read', 'campaigns:read'],
  },
  {
    id: 'store_manager',
    title: "Store manager: their stores' members, sales and fleet rows, resolves their incidents, reads and exports segments within their scope",
    permissions: ['stores:read', 'fleet:read', 'members:read', 'members:consent', 'sales:read', 'incidents:read', 'incidents:resolve', 'segments:read'],
  },
  { id: 'field_engineer', title: 'Field engineer: stores, enrollment codes, fleet; no member data', permissions: ['stores:read', 'stores:write', 'fleet:read'] },
];
export const ROLE_IDS = DEFAULT_ROLES.map((r) => r.id);

/**
 * What an admin route needs: its permission, and whether a read is audited because it shows a
 * person's data (every write is audited anyway).
 */
export interface RouteRule {
  permission: Permission;
  personal?: true;
}

/**
 * Every route of the admin API (`/admin/v1`), keyed `METHOD <path as the router has it>`. The
 * hub refuses a route missing here (403), and a test checks that every registered route has its
 * entry and every entry its route.
 */
export const ADMIN_ROUTES: ReadonlyMap<string, RouteRule> = new Map<string, RouteRule>([
  ['POST /stores', { permission: 'stores:write' }],
  ['GET /stores', { permission: 'stores:read' }],
  ['POST /stores/:id/codes', { permission: 'stores:write' }],
  ['POST /stores/:id/disable', { permission: 'stores:write' }],
  ['POST /stores/:id/enable', { permission: 'stores:write' }],
  ['POST /stores/:id/seed', { permission: 'members:seed' }],
  ['GET /stores/:id/bundle', { permission: 'fleet:read' }],
  ['POST /stores/:id/bundle', { permission: 'stores:write' }],
  ['POST /stores/:id/move', { permission: 'stores:write' }],
  ['GET /org', { permission: 'stores:read' }],
  ['POST /org/cities', { permission: 'stores:write' }],
  ['GET /rules', { permission: 'rules:read' }],
  ['PUT /rules', { permission: 'rules:write' }],
  ['GET /rules/versions', { permission: 'rules:read' }],
  ['GET /templates', { permission: 'rules:read' }],
  ['PUT /templates/:id', { permission: 'templates:write' }],
  ['GET /templates/:id/versions', { permission: 'rules:read' }],
  ['POST /coupons', { permission: 'coupons:issue' }],
  ['POST /products/imports', { permission: 'products:write' }],
  ['GET /products', { permission: 'products:read' }],
  ['GET /members', { permission: 'members:read', personal: true }],
  ['GET /members/:id', { permission: 'members:read', personal: true }],
  ['GET /members/:id/export', { permission: 'members:export', personal: true }],
  // Member profiles (issue 12): the metrics and the timeline of a golden member.
  ['GET /members/:id/profile', { permission: 'members:read', personal: true }],
  ['GET /members/:id/timeline', { permission: 'members:read', personal: true }],
  // Profiles' stage, RFM and store documents (issue 12, decision 024): figures, no personal data.
  ['GET /profiles/status', { permission: 'fleet:read' }],
  // The nightly recompute run now: after a change of tag rules, whoever may make one.
  ['POST /profiles/recompute', { permission: 'tags:write' }],
  ['GET /members/:id/consent', { permission: 'members:read', personal: true }],
  ['POST /members/:id/consent', { permission: 'members:consent' }],
  ['POST /members/:id/erase', { permission: 'members:erase' }],
  ['GET /fleet', { permission: 'fleet:read' }],
  ['GET /incidents', { permission: 'incidents:read' }],
  ['GET /incidents/:id', { permission: 'incidents:read' }],
  ['POST /incidents/:id/resolve', { permission: 'incidents:resolve' }],
  ['GET /points/daily', { permission: 'sales:read' }],
  ['GET /sales/daily', { permission: 'sales:read' }],
  ['GET /members/stats', { permission: 'members:read' }],
  ['POST /imports', { permission: 'identity:write' }],
  ['GET /imports', { permission: 'identity:read' }],
  ['GET /imports/:id', { permission: 'identity:read' }],
  ['GET /imports/:id/rejects', { permission: 'identity:write', personal: true }],
  ['GET /identity/metrics', { permission: 'identity:read' }],
  ['POST /identity/records', { permission: 'identity:write' }],
  ['GET /identity/records/:id', { permission: 'identity:read' }],
  ['GET /identity/members/:id', { permission: 'identity:read', personal: true }],
  ['POST /identity/members/:id/split', { permission: 'identity:write' }],
  ['GET /identity/quarantine', { permission: 'identity:read' }],
  ['POST /identity/quarantine', { permission: 'identity:write' }],
  ['DELETE /identity/quarantine/:key', { permission: 'identity:write' }],
  ['GET /identity/suggestions', { permission: 'identity:read', personal: true }],
  ['POST /identity/suggestions/:answer{accept|reject}', { permission: 'identity:write' }],
  ['GET /operators', { permission: 'operators:manage' }],
  ['POST /operators', { permission: 'operators:manage' }],
  ['POST /operators/:name/disable', { permission: 'operators:manage' }],
  ['POST /operators/:name/enable', { permission: 'operators:manage' }],
  ['POST /operators/:name/reset', { permission: 'operators:manage' }],
  ['GET /roles', { permission: 'operators:manage' }],
  ['GET /audit', { permission: 'audit:read' }],
  // Points catalogue and coupon pools (issue 13, decision 020)
  ['GET /catalogue', { permission: 'rules:read' }],
  ['PUT /catalogue', { permission: 'templates:write' }],
  ['GET /catalogue/versions', { permission: 'rules:read' }],
  ['GET /coupon-pools', { permission: 'rules:read' }],
  ['POST /coupon-pools', { permission: 'templates:write' }],
  // Tag rules (issue 12, decision 022): marketers and admins change them, analysts read them.
  ['GET /tags/rules', { permission: 'tags:read' }],
  ['GET /tags/rules/:code', { permission: 'tags:read' }],
  ['POST /tags/rules', { permission: 'tags:write' }],
  ['PUT /tags/rules/:code', { permission: 'tags:write' }],
  ['POST /tags/rules/:code/retire', { permission: 'tags:write' }],
  ['GET /tags/rules/:code/preview', { permission: 'tags:read' }],
  // A draft's preview is part of editing it (and a POST: analysts write nothing).
  ['POST /tags/preview', { permission: 'tags:write' }],
  // Segments (issue 12, decision 023): marketers and admins write (and count the rule they edit),
  // analysts and store managers read, count saved segments and export, each within their scope.
  ['GET /segments', { permission: 'segments:read' }],
  ['POST /segments', { permission: 'segments:write' }],
  ['POST /segments/count', { permission: 'segments:write' }],
  ['GET /segments/exports', { permission: 'segments:read' }],
  ['GET /segments/exports/:job', { permission: 'segments:read' }],
  ['GET /segments/exports/:job/file', { permission: 'segments:read', personal: true }],
  ['GET /segments/:id', { permission: 'segments:read' }],
  ['GET /segments/:id/versions', { permission: 'segments:read' }],
  ['PUT /segments/:id', { permission: 'segments:write' }],
  ['POST /segments/:id/retire', { permission: 'segments:write' }],
  ['DELETE /segments/:id', { permission: 'segments:write' }],
  ['GET /segments/:id/members', { permission: 'segments:read', personal: true }],
  ['GET /segments/:id/count', { permission: 'segments:read' }],
  ['GET /segments/:id/export', { permission: 'segments:read', personal: true }],
  ['GET /segments/:id/snapshots', { permission: 'segments:read' }],
  ['POST /segments/:id/snapshots', { permission: 'segments:write' }],
  ['GET /segments/:id/snapshots/:snap', { permission: 'segments:read' }],
]);

/**
 * The rule of an admin route, or undefined: refused.
 *
 * @example ruleOf('PUT', '/rules') // { permission: 'rules:write' }
 */
export const ruleOf = (method: string, path: string): RouteRule | undefined => ADMIN_ROUTES.get(`${method.toUpperCase()} ${path}`);

/**
 * Whether a role grants a permission. Roles are data read back from the database, so the
 * permissions are compared as strings, never used as keys.
 *
 * @example can({ permissions: ['rules:read'] }, 'rules:write') // false
 */
export function can(role: { permissions: readonly string[] } | undefined, permission: Permission): boolean {
  return role !== undefined && Array.isArray(role.permissions) && role.permissions.includes(permission);
}

/** Methods that change data: they need the session's CSRF token, and are always audited. */
export const changesData = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
