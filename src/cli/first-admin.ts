import type { FirstAdmin } from '../services/identity/first-admin.js';

/**
 * The one line a person reads when `admin` was made: a generated password is
 * shown this once (it is also kept in its file); a configured one is never
 * repeated, only where it came from.
 */
export function firstAdminNotice(admin: FirstAdmin, passwordFrom: string): string {
  if (!admin.generated) return `gantry: created user admin with the password from ${passwordFrom}\n`;
  const kept = admin.file === undefined ? '' : ` (kept in ${admin.file})`;
  return `gantry: created user admin with password ${admin.password}${kept}\n`;
}
