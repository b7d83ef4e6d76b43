import type { FastifyInstance } from 'fastify';
import { invalidInput } from '../../core/errors.js';
import type { Core } from '../../gantry.js';
import { adminRoute } from '../auth/route-auth.js';

/** ClusterCockpit's users and clusters. */
export function registerClusterRoutes(app: FastifyInstance, core: Core): void {
  app.get('/api/clusters/', adminRoute('cockpit', ['admin', 'api']), async (request) => {
    const query = request.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((key) => key !== 'cluster');
    if (unknown.length > 0) throw invalidInput(`invalid query parameter: ${unknown[0]}`);
    const name = query.cluster === undefined ? undefined : String(query.cluster);
    const clusters = core.records.clusterList().filter((cluster) => name === undefined || cluster.name === name);
    return { clusters };
  });

  // cc-backend's api.APIReturnedUser: username, name, roles, email, projects.
  app.get('/api/users/', adminRoute('cockpit'), async (request) => {
    const query = request.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((key) => key !== 'not-just-user');
    if (unknown.length > 0) throw invalidInput(`invalid query parameter: ${unknown[0]}`);
    const everyone = query['not-just-user'] !== undefined && String(query['not-just-user']) !== 'false';
    const users = await core.identity.listUsers();
    // Without not-just-user, only users whose one role is `user`, as cc-backend lists them.
    return users
      .filter((user) => everyone || (user.roles.length === 1 && user.roles[0] === 'user'))
      .map((user) => ({ username: user.username, name: user.name, roles: user.roles, email: user.email, projects: user.projects }));
  });
}
