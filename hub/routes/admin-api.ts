import { Hono } from 'hono';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { operatorAdminRoutes } from '../operators/admin-routes.ts';
import { orgRoutes } from '../org/org-routes.ts';
import { dashboardRoutes } from '../dashboard/routes.ts';
import { privacyRoutes } from '../privacy/routes.ts';
import { profileRoutes } from '../profile/routes.ts';
import { profileStatusRoutes } from '../profile/status-routes.ts';
import { segmentRoutes } from '../segments/routes.ts';
import { adminRoutes } from './admin.ts';
import { identityRoutes } from './identity.ts';
import { loyaltyRoutes } from './loyalty.ts';
import { catalogueAdminRoutes } from '../catalogue/routes.ts';
import { productRoutes } from '../products/routes.ts';
import { tagRoutes } from '../tags/routes.ts';

/**
 * Every route of the admin API (`/admin/v1`), without the checks: createHubApp wraps each in
 * them (hub/operators/access.ts), and a test holds this list against the permission table.
 */
export function adminApiRoutes(ctx: HubContext) {
  const api = new Hono<AdminEnv>();
  // First: its /members/stats must not be taken for a member id.
  api.route('/', dashboardRoutes(ctx));
  api.route('/', adminRoutes(ctx));
  api.route('/', orgRoutes(ctx));
  api.route('/', loyaltyRoutes(ctx));
  api.route('/', productRoutes(ctx));
  api.route('/', privacyRoutes(ctx));
  api.route('/', profileRoutes(ctx));
  api.route('/', profileStatusRoutes(ctx));
  api.route('/', segmentRoutes(ctx));
  api.route('/', identityRoutes(ctx));
  api.route('/', operatorAdminRoutes(ctx));
  api.route('/', catalogueAdminRoutes(ctx));
  api.route('/', tagRoutes(ctx));
  return api;
}
