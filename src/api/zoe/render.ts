import type { User } from '../../core/identity.js';
import type { Quota } from '../../core/quota.js';

/** Zoe's User object (`zoe_lib/state/user.py`, `serialize`). */
export interface ZoeUser {
  /** Gantry's user id (a string; Zoe's are integers, see docs/compatibility.md). */
  id: string;
  username: string;
  /** The file-system uid Zoe mounts volumes as; Gantry keeps none per user. */
  fs_uid: null;
  email: string | null;
  priority: number;
  enabled: boolean;
  auth_source: 'internal';
  quota_id: number;
  role_id: number;
}

export function zoeUser(user: User, quotaId: number, roleId: number): ZoeUser {
  return {
    id: user.id,
    username: user.username,
    fs_uid: null,
    // Zoe's email may be null; Gantry stores "none" as an empty string.
    email: user.email === '' ? null : user.email,
    priority: 0,
    enabled: user.enabled,
    // Gantry's own user store: Zoe's word for its built-in password table.
    auth_source: 'internal',
    quota_id: quotaId,
    role_id: roleId,
  };
}

/** Zoe's Quota object (`zoe_lib/state/quota.py`): memory in bytes, runtime_limit in hours, 0 for no limit. */
export function zoeQuota(quota: Quota): Record<string, unknown> {
  return {
    id: quota.id,
    name: quota.name,
    concurrent_executions: quota.concurrentExecutions,
    cores: quota.cores,
    memory: quota.memoryBytes,
    runtime_limit: quota.runtimeLimitHours,
  };
}
