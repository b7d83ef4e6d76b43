import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IdentityService } from './identity-service.js';

/** The file in the data directory that keeps the first admin's generated password (client commands send it). */
export const ADMIN_PASSWORD_FILE = 'admin-password';

/** The first user an installation makes, `admin`. */
export interface FirstAdmin {
  password: string;
  /** True when Gantry chose the password (none was configured). */
  generated: boolean;
  /** Where a generated password is kept (mode 0600). */
  file: string | undefined;
}

/**
 * Makes `admin` when the installation has no users yet: with the configured
 * password, else a random one kept in the data directory, readable by its
 * owner only. Both the server and the admin commands call this, so an
 * installation never ends up with users and no administrator.
 */
export async function ensureFirstAdmin(identity: IdentityService, dataDir: string, configuredPassword: string | undefined): Promise<FirstAdmin | undefined> {
  const made = await identity.bootstrapAdmin(configuredPassword);
  if (!made) return undefined;
  const file = made.generated ? writeSecretFile(join(dataDir, ADMIN_PASSWORD_FILE), `${made.password}\n`) : undefined;
  return { ...made, file };
}

function writeSecretFile(path: string, contents: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents, { mode: 0o600 });
  // The mode given to writeFileSync applies only to a new file: an old one keeps its own.
  chmodSync(path, 0o600);
  return path;
}
