import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GantryError, invalidInput, notFound } from '../../core/errors.js';
import { ADMIN_APP_ROLE_ID } from '../../core/app-role.js';
import type { Principal, Role, User } from '../../core/identity.js';
import type { AppRoleFields } from '../../services/apps/app-role-service.js';
import type { Core } from '../../gantry.js';
import type { QuotaFields } from '../../services/apps/quota-service.js';
import { principalOf, userRoute } from '../auth/route-auth.js';
import { zoeId } from './executions.js';
import { zoeQuota, zoeUser } from './render.js';
import { ROLE_FIELDS, zoeRole } from './roles.js';
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

function roleFields(body: Record<string, unknown>): Partial<AppRoleFields> {
  unknownKeys(body, Object.keys(ROLE_FIELDS));
  const fields: Partial<Record<keyof AppRoleFields, unknown>> = {};
  for (const [key, field] of Object.entries(ROLE_FIELDS)) {
    const value = body[key];
    if (value === undefined) continue;
    if (field === 'name' ? typeof value !== 'string' : typeof value !== 'boolean') throw invalidInput(field === 'name' ? 'name is a string' : `${key} is true or false`);
    fields[field] = value;
  }
  return fields as Partial<AppRoleFields>;
}

/** The Gantry roles a user has once given a Zoe role: admin with Zoe's admin role, never admin without it. */
function gantryRolesWith(roleId: number, current: readonly Role[]): Role[] {
  if (roleId === ADMIN_APP_ROLE_ID) return current.includes('admin') ? [...current] : [...current, 'admin'];
  const kept = current.filter((role) => role !== 'admin');
  return kept.length > 0 ? kept : ['user'];
}

/**
 * Zoe's users, roles and quotas. Users are Gantry's users; roles are Zoe's
 * (the role `admin` goes with Gantry's admin role); quotas are enforced when an
 * execution starts. Only those whose role may change the configuration manage
 * them. See docs/zoe.md.
 */
export function registerAdminRoutes(app: FastifyInstance, core: Core): void {
  const asUser = userRoute('zoe');
  const { identity, quotas, appRoles } = core;
  // Checked in the handler: a role other than admin may be allowed to change the configuration.
  const asAdmin = { ...asUser, preHandler: async (request: FastifyRequest) => requireConfig(principalOf(request)) };
  const requireConfig = async (actor: Principal): Promise<void> => {
    if (!(await appRoles.mayChangeConfig(actor))) throw new GantryError('forbidden', 'You are not authorized to change the configuration');
  };

  const render = async (user: User) => zoeUser(user, await quotas.quotaIdOf(user.id), await appRoles.roleIdOf({ userId: user.id, roles: user.roles }));

  // ---- users -------------------------------------------------------------

  app.get('/user', asAdmin, async (request) => {
    const query = request.query as Record<string, unknown>;
    unknownKeys(query, ['username', 'email', 'priority', 'enabled', 'auth_source', 'role_id', 'quota_id']);
    const quotaIds = await quotas.quotaIdsOfUsers();
    const users = await identity.listUsers();
    const roleIds = await appRoles.roleIdsOf(users);
    const rendered = users.map((user) => zoeUser(user, quotaIds.get(user.id) ?? 1, roleIds.get(user.id)!));
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
    const role = Number(roleId ?? 3);
    if (!Number.isInteger(role) || !(await appRoles.list()).some((candidate) => candidate.id === role)) throw notFound(`Role ${String(roleId)} does not exist`);
    const quota = Number(quotaId ?? 1);
    if (!Number.isInteger(quota) || !(await quotas.list()).some((candidate) => candidate.id === quota)) throw notFound(`Quota ${String(quotaId)} does not exist`);
    const gantryRoles = gantryRolesWith(role, ['user']);
    const user = await identity.addUser({ username, roles: gantryRoles, password, email: typeof email === 'string' ? email : '' });
    await quotas.setQuotaOf(user.id, quota);
    await appRoles.assign(user.id, role, gantryRoles);
    return reply.status(201).send({ user_id: user.id });
  });

  app.get<IdParams>('/user/:id', asUser, async (request) => {
    const actor = principalOf(request);
    const user = await identity.getUserById(request.params.id).catch(() => undefined);
    if (!user || (user.id !== actor.userId && !(await appRoles.maySeeOthers(actor)) && !(await appRoles.mayChangeConfig(actor)))) throw notFound('No such user');
    return { user: await render(user) };
  });

  // Zoe's updates are POSTs answering 201. A user may change their own email; an admin anything.
  app.post<IdParams>('/user/:id', asUser, async (request, reply) => {
    const actor = principalOf(request);
    const user = await identity.getUserById(request.params.id).catch(() => undefined);
    const admin = await appRoles.mayChangeConfig(actor);
    if (!user || (user.id !== actor.userId && !admin && !(await appRoles.maySeeOthers(actor)))) throw notFound('No such user');
    if (user.id !== actor.userId && !admin) throw new GantryError('forbidden', 'You are not authorized to change this user');
    const body = objectBody(request);
    unknownKeys(body, USER_FIELDS);
    const { email, enabled, role_id: roleId, quota_id: quotaId, password } = body;
    if (!admin && Object.keys(body).some((key) => key !== 'email')) throw new GantryError('forbidden', 'only an admin may change more than the email of a user');
    if (email !== undefined && typeof email !== 'string') throw invalidInput('email is a string');
    if (enabled !== undefined && typeof enabled !== 'boolean') throw invalidInput('enabled is true or false');
    if (password !== undefined && typeof password !== 'string') throw invalidInput('password is a string');
    let roles: Role[] | undefined;
    const newRole = roleId === undefined ? undefined : Number(roleId);
    if (newRole !== undefined) {
      if (!Number.isInteger(newRole) || !(await appRoles.list()).some((candidate) => candidate.id === newRole)) throw invalidInput(`No role with ID ${String(roleId)}`);
      roles = gantryRolesWith(newRole, user.roles);
    }
    if (quotaId !== undefined) await quotas.setQuotaOf(user.id, Number(quotaId));
    await identity.updateUser(user.username, { email, enabled, roles });
    if (newRole !== undefined) await appRoles.assign(user.id, newRole, roles!);
    if (password !== undefined) await identity.setPassword(user.username, password);
    return reply.status(201).send();
  });

  app.delete<IdParams>('/user/:id', asAdmin, async (request, reply) => {
    const user = await identity.getUserById(request.params.id);
    if (user.username === 'admin') throw invalidInput('The admin user cannot be deleted, but it can be disabled');
    await identity.removeUser(user.username);
    await quotas.forgetUser(user.id);
    await appRoles.forgetUser(user.id);
    return reply.status(204).send();
  });

  // ---- roles ---------------------------------------------------------------

  app.get('/role', asAdmin, async (request) => {
    const query = request.query as Record<string, unknown>;
    unknownKeys(query, ['name']);
    const name = lastValue(query.name);
    const list = (await appRoles.list()).filter((role) => name === undefined || role.name === name);
    return Object.fromEntries(list.map((role) => [String(role.id), zoeRole(role)]));
  });

  app.get<IdParams>('/role/:id', asAdmin, async (request) => ({ role: zoeRole(await appRoles.get(zoeId(request.params.id, 'No such role'))) }));

  // Zoe makes a role from its name, every permission off unless given.
  app.post('/role', asAdmin, async (request, reply) => {
    const fields = roleFields(objectBody(request));
    if (fields.name === undefined) throw invalidInput('name is required');
    const id = await appRoles.create({
      canSeeStatus: false,
      canChangeConfig: false,
      canOperateOthers: false,
      canDeleteExecutions: false,
      canAccessApi: false,
      canCustomizeResources: false,
      canAccessFullZappShop: false,
      ...fields,
      name: fields.name,
    });
    return reply.status(201).send({ role_id: id });
  });

  app.post<IdParams>('/role/:id', asAdmin, async (request, reply) => {
    await appRoles.update(zoeId(request.params.id, 'No such role'), roleFields(objectBody(request)));
    return reply.status(201).send();
  });

  app.delete<IdParams>('/role/:id', asAdmin, async (request, reply) => {
    await appRoles.delete(zoeId(request.params.id, 'No such role'));
    return reply.status(204).send();
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
