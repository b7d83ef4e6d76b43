import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import type { ExecResult } from '../../services/exec/exec-service.js';
import { execRoute, principalOf, publicRoute } from '../auth/route-auth.js';
import { GantryError } from '../../core/errors.js';
import { zerobootErrorHandler } from './errors.js';
import { execFields, jsonBody } from './exec-body.js';

/** Zeroboot's request body limit (its framework's default): a larger body is 413. */
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Zeroboot's ExecResponse. */
function rendered(result: ExecResult): Record<string, unknown> {
  return {
    id: result.id,
    stdout: result.stdout,
    stderr: result.stderr,
    exit_code: result.exitCode,
    fork_time_ms: result.forkTimeMs,
    exec_time_ms: result.execTimeMs,
    total_time_ms: result.totalTimeMs,
  };
}

/** The Zeroboot API: /v1/exec, /v1/exec/batch, /v1/health, /v1/metrics (and the legacy /exec). See docs/zeroboot.md. */
export async function zerobootPlugin(app: FastifyInstance, options: { core: Core }): Promise<void> {
  const { exec, counters } = options.core;
  app.setErrorHandler(zerobootErrorHandler);

  const runOne = async (request: { body: unknown; headers: { 'content-type'?: string } } & Parameters<typeof principalOf>[0]) => {
    const body = jsonBody(request.body, request.headers['content-type']);
    return rendered(await exec.run(exec.parse(execFields(body, '')), principalOf(request)));
  };
  for (const path of ['/v1/exec', '/exec']) {
    app.post(path, { ...execRoute('zeroboot'), bodyLimit: BODY_LIMIT_BYTES }, (request) => runOne(request));
  }

  app.post('/v1/exec/batch', { ...execRoute('zeroboot'), bodyLimit: BODY_LIMIT_BYTES }, async (request) => {
    const body = jsonBody(request.body, request.headers['content-type']);
    const { executions } = body;
    if (!Array.isArray(executions)) throw new GantryError('invalid_input', 'executions must be an array of {code, language, timeout_seconds}', { details: { unprocessable: true } });
    if (executions.length > exec.settings.maxBatch) {
      throw new GantryError('invalid_input', `a batch may hold at most ${exec.settings.maxBatch} executions, not ${executions.length}`);
    }
    // Every snippet is checked before any runs: a bad one refuses the whole batch.
    const requests = executions.map((item, index) => exec.parse(execFields(item, `executions[${index}].`), `executions[${index}].`));
    const results = await exec.runBatch(requests, principalOf(request));
    return { results: results.map(rendered) };
  });

  app.get('/v1/health', publicRoute('zeroboot'), async () => {
    const templates = exec.health();
    // Zeroboot always says ok; Gantry says so only when every language can run.
    const ready = Object.values(templates).every((template) => template.ready);
    return { status: ready ? 'ok' : 'degraded', templates };
  });

  app.get('/v1/metrics', publicRoute('zeroboot'), async (_request, reply) => {
    return reply.header('content-type', counters.registry.contentType).send(await counters.registry.metrics());
  });
}
