/**
 * Roles of multi-service application users (Zoe's roles): named sets of
 * permissions. They refine, for applications, what a user's Gantry role allows:
 * a Gantry admin may do everything whatever their role.
 */
export interface AppRole {
  id: number;
  name: string;
  /** May see the platform's status (the scheduler's statistics are public anyway). */
  canSeeStatus: boolean;
  /** May manage users, roles and quotas. */
  canChangeConfig: boolean;
  /** May see and end other users' executions. */
  canOperateOthers: boolean;
  /** May delete execution records. */
  canDeleteExecutions: boolean;
  canAccessApi: boolean;
  canCustomizeResources: boolean;
  canAccessFullZappShop: boolean;
}

/** The roles a fresh installation has, with Zoe's ids. */
export const ADMIN_APP_ROLE_ID = 1;
export const USER_APP_ROLE_ID = 3;
