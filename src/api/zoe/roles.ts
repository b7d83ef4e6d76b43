import type { Role } from '../../core/identity.js';

/** Zoe's roles as Gantry shows them. */
export type ZoeRoleName = 'admin' | 'user';

/**
 * Gantry role → Zoe role. Zoe's `admin` may do everything, as Gantry's; every
 * other Gantry role is a Zoe `user`, who sees and acts on their own work. The
 * Record is exhaustive, so a new Gantry role fails to compile until it is mapped.
 */
const ZOE_ROLE: Record<Role, ZoeRoleName> = {
  admin: 'admin',
  support: 'user',
  manager: 'user',
  user: 'user',
  api: 'user',
};

/**
 * Ids of the roles a fresh Zoe database holds: `admin` 1, `superuser` 2, `user` 3.
 * Gantry has no `superuser`, so it never answers 2.
 */
const ZOE_ROLE_ID: Record<ZoeRoleName, number> = { admin: 1, user: 3 };

/** A Gantry user's Zoe role: `admin` if any of their roles is, else `user`. */
export function zoeRoleOf(roles: readonly Role[]): ZoeRoleName {
  return roles.some((role) => ZOE_ROLE[role] === 'admin') ? 'admin' : 'user';
}

export function zoeRoleId(role: ZoeRoleName): number {
  return ZOE_ROLE_ID[role];
}

/** Zoe's Role object (`zoe_lib/state/role.py`) for Gantry's two Zoe roles. */
export function zoeRole(role: ZoeRoleName): Record<string, unknown> {
  const admin = role === 'admin';
  return {
    id: ZOE_ROLE_ID[role],
    name: role,
    can_see_status: admin,
    can_change_config: admin,
    can_operate_others: admin,
    // Everyone may delete their own executions in Gantry.
    can_delete_executions: true,
    can_access_api: true,
    can_customize_resources: true,
    can_access_full_zapp_shop: true,
  };
}

export const ZOE_ROLES: readonly ZoeRoleName[] = ['admin', 'user'];

/** The Zoe role of an id, if it is one of Gantry's. */
export function zoeRoleById(id: number): ZoeRoleName | undefined {
  return ZOE_ROLES.find((role) => ZOE_ROLE_ID[role] === id);
}

/** The Gantry roles a Zoe role gives a user made or changed through Zoe's API. */
export function gantryRolesOf(role: ZoeRoleName): Role[] {
  return role === 'admin' ? ['admin'] : ['user'];
}
