import { join } from 'node:path';
import type { GantryConfig } from '../../config/schema.js';
import type { IdentityOptions } from './identity-service.js';

/**
 * The identity service's options from the configuration. One function, so the
 * server and the CLI's admin commands (which act on the same installation
 * without a server) issue and check credentials alike.
 */
export function identityOptions(config: Pick<GantryConfig, 'auth' | 'dataDir'>): IdentityOptions {
  const { auth } = config;
  return {
    accessTokenSeconds: auth.accessTokenSeconds,
    refreshTokenSeconds: auth.refreshTokenSeconds,
    cookieSeconds: auth.cookieSeconds,
    jwt: auth.jwt,
    apiKeysFile: auth.apiKeysFile ?? join(config.dataDir, 'api_keys.json'),
    apiKeyRequestsPerSecond: auth.apiKeyRequestsPerSecond,
  };
}
