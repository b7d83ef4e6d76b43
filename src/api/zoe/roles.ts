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
