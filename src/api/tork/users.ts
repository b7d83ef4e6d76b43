import type { FastifyInstance } from 'fastify';
import { GantryError, isGantryError } from '../../core/errors.js';
import type { Core } from '../../gantry.js';
import { adminRoute } from '../auth/route-auth.js';
import { torkUser } from './render.js';

/** Tork's `POST /users`: an admin adds a user (role `user`) with a password. */
export function registerUserRoutes(app: FastifyInstance, core: Core): void {
  app.post('/users', adminRoute('tork'), async (request) => {
    const body = readJsonObject(request.body as Buffer | undefined);
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    // Tork's own words for these three refusals.
    if (username === '') throw new GantryError('invalid_input', 'must provide username');
    if (password === '') throw new GantryError('invalid_input', 'must provide password');
    try {
      return torkUser(await core.identity.addUser({ username, password, roles: ['user'], name: typeof body.name === 'string' ? body.name : undefined }));
    } catch (error) {
      if (isGantryError(error) && error.code === 'conflict') throw new GantryError('invalid_input', 'user already exists');
      throw error;
    }
  });
}

function readJsonObject(body: Buffer | undefined): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body?.toString('utf8') || '{}');
  } catch {
    throw new GantryError('invalid_input', 'the body must be a JSON object such as {"username": "…", "password": "…"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GantryError('invalid_input', 'the body must be a JSON object');
  return parsed as Record<string, unknown>;
}
