/**
 * The error answers of ClusterCockpit and EWMS, whose routes come with their
 * dialects: every error code in each one's own body, valid against the
 * published schemas, with the right status and Retry-After where due.
 */
import { Ajv } from 'ajv';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { cockpitErrorHandler, COCKPIT_STATUS } from '../../src/api/cockpit/errors.js';
import { ewmsErrorHandler, EWMS_STATUS } from '../../src/api/ewms/errors.js';
import { GantryError, type ErrorCode } from '../../src/core/errors.js';
import { readSpec, specsAvailable } from '../support/specs.js';

type Handler = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => void;

/** A bare app with one route that throws what the test asks for, answered by `handler`. */
async function answerFor(handler: Handler, error: Error): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const app = Fastify();
  app.setErrorHandler(handler);
  app.get('/fails', async () => {
    throw error;
  });
  const response = await app.inject({ method: 'GET', url: '/fails' });
  await app.close();
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

const CODES = Object.keys(COCKPIT_STATUS) as ErrorCode[];
const ajv = new Ajv({ strict: false, allErrors: true });

describe('ClusterCockpit errors', () => {
  const validate = specsAvailable
    ? ajv.compile((JSON.parse(readSpec('clustercockpit-swagger.json')) as { definitions: Record<string, object> }).definitions['api.ErrorResponse']!)
    : undefined;

  it.each(CODES)('renders %s as {"status", "error"} with its status', async (code) => {
    const { status, body } = await answerFor(cockpitErrorHandler, new GantryError(code, `because of ${code}`));
    expect(status).toBe(COCKPIT_STATUS[code]);
    expect(Object.keys(body).sort()).toEqual(['error', 'status']);
    expect(body.error).toBe(`because of ${code}`);
    if (validate) expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });

  it('names the status as ClusterCockpit does, 401 Unauthorized and 403 Forbidden, and says when to retry', async () => {
    expect((await answerFor(cockpitErrorHandler, new GantryError('unauthenticated', 'missing or wrong authentication information'))).body).toEqual({
      status: 'Unauthorized',
      error: 'missing or wrong authentication information',
    });
    expect((await answerFor(cockpitErrorHandler, new GantryError('forbidden', 'this needs the role admin'))).body.status).toBe('Forbidden');
    const limited = await answerFor(cockpitErrorHandler, new GantryError('rate_limited', 'slow down', { details: { retryAfterSeconds: 3 } }));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
  });

  it('tells nothing of an unexpected failure', async () => {
    const { status, body } = await answerFor(cockpitErrorHandler, new Error('secret internals at /srv/x'));
    expect(status).toBe(500);
    expect(body).toEqual({ status: 'Internal Server Error', error: 'internal server error' });
  });
});

describe('EWMS errors', () => {
  const validate = specsAvailable ? ajv.compile(JSON.parse(readSpec('ewms-schemas/ErrorResponse.json')) as object) : undefined;

  it.each(CODES)('renders %s as {"code", "error"} with its status', async (code) => {
    const { status, body } = await answerFor(ewmsErrorHandler, new GantryError(code, `because of ${code}`));
    expect(status).toBe(EWMS_STATUS[code]);
    expect(body).toEqual({ code: EWMS_STATUS[code], error: `because of ${code}` });
    if (validate) expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });

  it('answers 401 and 429 with Retry-After in its own form', async () => {
    expect((await answerFor(ewmsErrorHandler, new GantryError('unauthenticated', 'missing or wrong authentication information'))).body).toEqual({
      code: 401,
      error: 'missing or wrong authentication information',
    });
    const limited = await answerFor(ewmsErrorHandler, new GantryError('rate_limited', 'slow down', { details: { retryAfterSeconds: 2 } }));
    expect(limited.body).toEqual({ code: 429, error: 'slow down' });
    expect(limited.headers['retry-after']).toBe('2');
  });
});
