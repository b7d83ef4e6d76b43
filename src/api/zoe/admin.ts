import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GantryError, invalidInput, notFound } from '../../core/errors.js';
import { seesEverything, type User } from '../../core/identity.js';
import type { Core } from '../../gantry.js';
import type { QuotaFields } from '../../services/apps/quota-service.js';
import { principalOf, userRoute } from '../auth/route-auth.js';
import { zoeId } from './executions.js';
import { zoeQuota, zoeUser } from './render.js';
import { gantryRolesOf, zoeRole, zoeRoleById, zoeRoleOf, ZOE_ROLES } from './roles.js';
import { zoeJsonBody } from './zoe-body.js';

type IdParams = { Params: { id: string } };

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = zoeJsonBody(request.body as Buffer | undefined, request.headers['content-type']);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidInput('Error decoding JSON data: the body is a JSON object');
  return body as Record<string, unknown>;
}

function lastValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return lastValue(value[value.length - 1]);
  return typeof value === 'string' ? value : undefined;
}

const USER_FIELDS = new Set(['username', 'email', 'role_id', 'quota_id', 'auth_source', 'fs_uid', 'password', 'priority', 'enabled']);
const QUOTA_FIELDS: Record<string, keyof QuotaFields> = {
  name: 'name',
  concurrent_executions: 'concurrentExecutions',
  cores: 'cores',
  memory: 'memoryBytes',
  runtime_limit: 'runtimeLimitHours',
};

function unknownKeys(body: Record<string, unknown>, known: Iterable<string>): void {
  const allowed = new Set(known);
  const unknown = Object.keys(body).filter((key) => !allowed.has(key));
  if (unknown.length > 0) throw invalidInput(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
}

function quotaFields(body: Record<string, unknown>): Partial<QuotaFields> {
  unknownKeys(body, Object.keys(QUOTA_FIELDS));
  const fields: Partial<Record<keyof QuotaFields, unknown>> = {};
  for (const [key, field] of Object.entries(QUOTA_FIELDS)) {
    if (body[key] === undefined) continue;
    const value = body[key];
    if (field === 'name' ? typeof value !== 'string' || value.trim() === '' : typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidInput(field === 'name' ? 'name is a non-empty string' : `${key} is a number, 0 or more (0: no limit)`);
    }
    if (field !== 'name' && field !== 'cores' && !Number.isInteger(value)) throw invalidInput(`${key} is a whole number`);
    fields[field] = value;
  }
  return fields as Partial<QuotaFields>;
}

/**
 * Zoe's users, roles and quotas. Users are Gantry's users (a Zoe `admin` is a
 * Gantry admin, a Zoe `user` a Gantry user); Gantry's roles are fixed, so the
 * two Zoe roles can be read but not made, changed or deleted; quotas are
 * Gantry's own and are enforced when an execution starts. See docs/zoe.md.
 */
export function registerAdminRoutes(app: FastifyInstance, core: Core): void {
  const asAdmin = userRoute('zoe', ['admin']);
  const asUser = userRoute('zoe');
  const { identity, quotas } = core;

  const render = async (user: User) => zoeUser(user, await quotas.quotaIdOf(user.id));

  // ---- users -------------------------------------------------------------

  app.get('/user', asAdmin, async (request) => {
    const query = request.query as Record<string, unknown>;
    unknownKeys(query, ['username', 'email', 'priority', 'enabled', 'auth_source', 'role_id', 'quota_id']);
    const quotaIds = await quotas.quotaIdsOfUsers();
    const rendered = (await identity.listUsers()).map((user) => zoeUser(user, quotaIds.get(user.id) ?? 1));
    const filtered = rendered.filter((user) =>
      Object.entries(query).every(([key, raw]) => {
        const value = lastValue(raw);
        const actual = (user as unknown as Record<string, unknown>)[key];
        return value === undefined || String(actual) === value || (key === 'enabled' && String(actual) === String(value.toLowerCase() === 'true'));
      }),
    );
    return Object.fromEntries(filtered.map((user) => [user.id, user]));
  });

  app.post('/user', asAdmin, async (request, reply) => {
    const body = objectBody(request);
    unknownKeys(body, USER_FIELDS);
    const { username, email, role_id: roleId, quota_id: quotaId, password } = body;
    if (typeof username !== 'string') throw invalidInput('username is required');
    if (email !== undefined && email !== null && typeof email !== 'string') throw invalidInput('email is a string');
    if (password !== undefined && typeof password !== 'string') throw invalidInput('password is a string');
    const role = zoeRoleById(Number(roleId ?? 3));
    if (!role) throw notFound(`Role ${String(roleId)} does not exist`);
    const quota = Number(quotaId ?? 1);
    if (!Number.isInteger(quota) || !(await quotas.list()).some((candidate) => candidate.id === quota)) throw notFound(`Quota ${String(quotaId)} does not exist`);
    const user = await identity.addUser({ username, roles: gantryRolesOf(role), password, email: typeof email === 'string' ? email : '' });
    await quotas.setQuotaOf(user.id, quota);
    return reply.status(201).send({ user_id: user.id });
  });

  app.get<IdParams>('/user/:id', asUser, async (request) => {
    const actor = principalOf(request);
    const user = await identity.getUserById(request.params.id).catch(() => undefined);
    if (!user || (user.id !== actor.userId && !seesEverything(actor))) throw notFound('No such user');
    return { user: await render(user) };
  });

  // Zoe's updates are POSTs answering 201. A user may change their own email; an admin anything.
  app.post<IdParams>('/user/:id', asUser, async (request, reply) => {
    const actor = principalOf(request);
    const user = await identity.getUserById(request.params.id).catch(() => undefined);
    const admin = actor.roles.includes('admin');
    if (!user || (user.id !== actor.userId && !seesEverything(actor))) throw notFound('No such user');
    if (user.id !== actor.userId && !admin) throw new GantryError('forbidden', 'You are not authorized to change this user');
    const body = objectBody(request);
    unknownKeys(body, USER_FIELDS);
    const { email, enabled, role_id: roleId, quota_id: quotaId, password } = body;
    if (!admin && Object.keys(body).some((key) => key !== 'email')) throw new GantryError('forbidden', 'only an admin may change more than the email of a user');
    if (email !== undefined && typeof email !== 'string') throw invalidInput('email is a string');
    if (enabled !== undefined && typeof enabled !== 'boolean') throw invalidInput('enabled is true or false');
    if (password !== undefined && typeof password !== 'string') throw invalidInput('password is a string');
    let roles: ReturnType<typeof gantryRolesOf> | undefined;
    if (roleId !== undefined) {
      const role = zoeRoleById(Number(roleId));
      if (!role) throw invalidInput(`No role with ID ${String(roleId)}`);
      // Only a change of Zoe role touches the user's Gantry roles (a support user stays one while a Zoe user).
      if (role !== zoeRoleOf(user.roles)) roles = gantryRolesOf(role);
    }
    if (quotaId !== undefined) await quotas.setQuotaOf(user.id, Number(quotaId));
    await identity.updateUser(user.username, { email, enabled, roles });
    if (password !== undefined) await identity.setPassword(user.username, password);
    return reply.status(201).send();
  });

  app.delete<IdParams>('/user/:id', asAdmin, async (request, reply) => {
    const user = await identity.getUserById(request.params.id);
    if (user.username === 'admin') throw invalidInput('The admin user cannot be deleted, but it can be disabled');
    await identity.removeUser(user.username);
    await quotas.forgetUser(user.id);
    return reply.status(204).send();
  });

  // ---- roles ---------------------------------------------------------------

  app.get('/role', asAdmin, async () => Object.fromEntries(ZOE_ROLES.map((role) => [String(zoeRole(role).id), zoeRole(role)])));

  app.get<IdParams>('/role/:id', asAdmin, async (request) => {
    const role = zoeRoleById(zoeId(request.params.id, 'No such role'));
    if (!role) throw notFound('No such role');
    return { role: zoeRole(role) };
  });

  const fixedRoles = (): never => {
    throw invalidInput("Gantry's roles are fixed: give a user role 1 (admin) or 3 (user)");
  };
  app.post('/role', asAdmin, async () => fixedRoles());
  app.post<IdParams>('/role/:id', asAdmin, async (request) => {
    const role = zoeRoleById(zoeId(request.params.id, 'No such role'));
    if (!role) throw notFound('No such role');
    if (role === 'admin') throw invalidInput('Cannot edit the admin role');
    return fixedRoles();
  });
  app.delete<IdParams>('/role/:id', asAdmin, async (request) => {
    const role = zoeRoleById(zoeId(request.params.id, 'No such role'));
    if (!role) throw notFound('No such role');
    if (role === 'admin') throw invalidInput('Cannot delete admin role');
    return fixedRoles();
  });

  // ---- quotas --------------------------------------------------------------

  app.get('/quota', asAdmin, async (request) => {
    const query = request.query as Record<string, unknown>;
    unknownKeys(query, ['name']);
    const name = lastValue(query.name);
    const list = (await quotas.list()).filter((quota) => name === undefined || quota.name === name);
    return Object.fromEntries(list.map((quota) => [String(quota.id), zoeQuota(quota)]));
  });

  app.post('/quota', asAdmin, async (request, reply) => {
    const fields = quotaFields(objectBody(request));
    const missing = Object.entries(QUOTA_FIELDS).filter(([, field]) => fields[field] === undefined).map(([key]) => key);
    if (missing.length > 0) throw invalidInput(`${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required`);
    return reply.status(201).send({ quota_id: await quotas.create(fields as QuotaFields) });
  });

  app.get<IdParams>('/quota/:id', asAdmin, async (request) => ({ quota: zoeQuota(await quotas.get(zoeId(request.params.id, 'No such quota'))) }));

  app.post<IdParams>('/quota/:id', asAdmin, async (request, reply) => {
    await quotas.update(zoeId(request.params.id, 'No such quota'), quotaFields(objectBody(request)));
    return reply.status(201).send();
  });

  app.delete<IdParams>('/quota/:id', asAdmin, async (request, reply) => {
    await quotas.delete(zoeId(request.params.id, 'No such quota'));
    return reply.status(204).send();
  });
}
