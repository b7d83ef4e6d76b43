import type { AppRole } from '../../core/app-role.js';

/** Zoe's Role object (`zoe_lib/state/role.py`, `serialize`). */
export function zoeRole(role: AppRole): Record<string, unknown> {
  return {
    id: role.id,
    name: role.name,
    can_see_status: role.canSeeStatus,
    can_change_config: role.canChangeConfig,
    can_operate_others: role.canOperateOthers,
    can_delete_executions: role.canDeleteExecutions,
    can_access_api: role.canAccessApi,
    can_customize_resources: role.canCustomizeResources,
    can_access_full_zapp_shop: role.canAccessFullZappShop,
  };
}

/** Zoe's role fields, as the core names them. */
export const ROLE_FIELDS = {
  name: 'name',
  can_see_status: 'canSeeStatus',
  can_change_config: 'canChangeConfig',
  can_operate_others: 'canOperateOthers',
  can_delete_executions: 'canDeleteExecutions',
  can_access_api: 'canAccessApi',
  can_customize_resources: 'canCustomizeResources',
  can_access_full_zapp_shop: 'canAccessFullZappShop',
} as const satisfies Record<string, keyof Omit<AppRole, 'id'>>;
