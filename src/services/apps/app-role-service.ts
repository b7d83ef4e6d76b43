import { ADMIN_APP_ROLE_ID, USER_APP_ROLE_ID, type AppRole } from '../../core/app-role.js';
import { GantryError, invalidInput, notFound } from '../../core/errors.js';
import { actsOnEverything, seesEverything, type Principal, type Role } from '../../core/identity.js';
import * as rolesRepo from '../../store/app-roles-repo.js';
import type { Store } from '../../store/open.js';

export type AppRoleFields = rolesRepo.AppRoleFields;

/** Whose role is asked: a stored user (by id) with their Gantry roles. */
export interface RoleHolder {
  userId: string | null;
  roles: readonly Role[];
}

/**
 * Roles of application users (Zoe's): listed, made, changed and deleted by
 * those whose role may change the configuration; `admin` cannot be changed or
 * deleted, nor a role that users have. A user's role is the one given to them,
 * else `admin` for a Gantry admin and `user` for everyone else.
 */
export class AppRoleService {
  constructor(private readonly store: Store) {}

  list(): Promise<AppRole[]> {
    return rolesRepo.list(this.store.db);
  }

  async get(id: number): Promise<AppRole> {
    const role = await rolesRepo.get(this.store.db, id);
    if (!role) throw notFound('No such role');
    return role;
  }

  async create(fields: AppRoleFields): Promise<number> {
    checkName(fields.name);
    if (await rolesRepo.getByName(this.store.db, fields.name)) throw new GantryError('conflict', `a role named ${fields.name} already exists`);
    return rolesRepo.insert(this.store.db, fields, Date.now());
  }

  async update(id: number, fields: Partial<AppRoleFields>): Promise<void> {
    const role = await this.get(id);
    if (id === ADMIN_APP_ROLE_ID) throw invalidInput('Cannot edit the admin role');
    if (fields.name !== undefined) {
      checkName(fields.name);
      if (fields.name !== role.name && (await rolesRepo.getByName(this.store.db, fields.name))) throw new GantryError('conflict', `a role named ${fields.name} already exists`);
    }
    await rolesRepo.update(this.store.db, id, fields);
  }

  async delete(id: number): Promise<void> {
    await this.get(id);
    if (id === ADMIN_APP_ROLE_ID) throw invalidInput('Cannot delete admin role');
    if (id === USER_APP_ROLE_ID) throw invalidInput('Cannot delete the user role: it is the role of every user not given another');
    const users = await rolesRepo.usersWithRole(this.store.db, id);
    if (users > 0) throw invalidInput(`the role is given to ${users} user${users === 1 ? '' : 's'}: give them another first`);
    await rolesRepo.remove(this.store.db, id);
  }

  /** The role id of a holder: the one given to them, else the one their Gantry roles imply. */
  async roleIdOf(holder: RoleHolder): Promise<number> {
    const given = holder.userId === null ? undefined : await rolesRepo.roleIdOfUser(this.store.db, holder.userId);
    return given ?? defaultRoleId(holder.roles);
  }

  async roleOf(holder: RoleHolder): Promise<AppRole> {
    return (await rolesRepo.get(this.store.db, await this.roleIdOf(holder))) ?? (await this.get(defaultRoleId(holder.roles)));
  }

  async roleIdsOf(users: ReadonlyArray<{ id: string; roles: readonly Role[] }>): Promise<Map<string, number>> {
    const given = await rolesRepo.roleIdsOfUsers(this.store.db);
    return new Map(users.map((user) => [user.id, given.get(user.id) ?? defaultRoleId(user.roles)]));
  }

  /** Gives a user a role; the role that their Gantry roles imply is kept as no row at all. */
  async assign(userId: string, roleId: number, gantryRoles: readonly Role[]): Promise<void> {
    await this.get(roleId);
    await rolesRepo.setUserRole(this.store.db, userId, roleId === defaultRoleId(gantryRoles) ? undefined : roleId);
  }

  forgetUser(userId: string): Promise<void> {
    return rolesRepo.setUserRole(this.store.db, userId, undefined);
  }

  // ---- what a principal may do ------------------------------------------

  async maySeeOthers(actor: Principal): Promise<boolean> {
    return seesEverything(actor) || (await this.roleOf(actor)).canOperateOthers;
  }

  async mayActOnOthers(actor: Principal): Promise<boolean> {
    return actsOnEverything(actor) || (await this.roleOf(actor)).canOperateOthers;
  }

  async mayDeleteExecutions(actor: Principal): Promise<boolean> {
    return actsOnEverything(actor) || (await this.roleOf(actor)).canDeleteExecutions;
  }

  async mayChangeConfig(actor: Principal): Promise<boolean> {
    return actsOnEverything(actor) || (await this.roleOf(actor)).canChangeConfig;
  }
}

function defaultRoleId(roles: readonly Role[]): number {
  return roles.includes('admin') ? ADMIN_APP_ROLE_ID : USER_APP_ROLE_ID;
}

function checkName(name: unknown): void {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 64) throw invalidInput('name is 1 to 64 characters');
}
