/**
 * Zoe's public routes without executions: /info, and /zapp_validate with the
 * ZApp format version 3 checked completely, bodies as Zoe's client and the
 * page's curl send them.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSpec, specsAvailable } from '../../support/specs.js';
import { request, startTestServer, type TestServer } from '../../support/server.js';

/** A ZApp of the published examples' shape, made here so the tests run without the specs too. */
function zapp(): Record<string, any> {
  return {
    name: 'notebook',
    version: 3,
    will_end: false,
    size: 512,
    services: [
      {
        name: 'jupyter',
        image: 'jupyter/base-notebook',
        monitor: true,
        essential_count: 1,
        total_count: 1,
        startup_order: 0,
        ports: [{ name: 'Jupyter Notebook', port_number: 8888, protocol: 'tcp', url_template: 'http://{ip_port}/' }],
        environment: [['NB_USER', 'jovyan']],
        volumes: [],
        resources: { memory: { min: 536870912, max: 1073741824 }, cores: { min: 1, max: 2 } },
        command: null,
      },
    ],
  };
}

describe('Zoe /info and /zapp_validate', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {} } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const validate = (body: string, contentType?: string) =>
    request<Record<string, any>>(`${t.url}/api/0.7/zapp_validate`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });

  it('answers /info without a credential, as the page shows it', async () => {
    const answer = await request<Record<string, any>>(`${t.url}/api/0.7/info`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ version: t.server.core.version, api_version: '0.7', application_format_version: 3, deployment_name: 'gantry' });
  });

  it('validates a ZApp sent bare as JSON (Zoe\'s client), wrapped in {"application"} (the page), and with curl --data-urlencode', async () => {
    const text = JSON.stringify(zapp());
    expect(await validate(text, 'application/json')).toMatchObject({ status: 200, body: { validation: 'ok' } });
    expect((await validate(JSON.stringify({ application: zapp() }), 'application/json')).status).toBe(200);
    // curl --data-urlencode @file: the file's text URL-encoded, labelled as a form.
    expect((await validate(encodeURIComponent(text), 'application/x-www-form-urlencoded')).status).toBe(200);
    expect((await validate(`application=${encodeURIComponent(text)}`, 'application/x-www-form-urlencoded')).status).toBe(200);
    // curl -d '{…}' without a content type labels JSON as a form.
    expect((await validate(text, 'application/x-www-form-urlencoded')).status).toBe(200);
  });

  it.skipIf(!specsAvailable)('accepts the published example ZApps', async () => {
    const examples = readdirSync(new URL('../../../../shared/specs/zoe-schemas/', import.meta.url)).filter((name) => name.startsWith('example-'));
    expect(examples.length).toBeGreaterThan(0);
    for (const name of examples) {
      const answer = await validate(readSpec(`zoe-schemas/${name}`), 'application/json');
      expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(200);
    }
  });

  const invalid: Array<{ name: string; change: (z: Record<string, any>) => unknown; message: RegExp }> = [
    { name: 'no services', change: (z) => ({ ...z, services: [] }), message: /^Invalid application description: services: services needs at least one service$/ },
    { name: 'services missing', change: ({ services: _, ...z }) => z, message: /services is required/ },
    {
      name: 'essential_count above total_count',
      change: (z) => (z.services[0].essential_count = 3),
      message: /services\[0\]\.essential_count: 3 essential instances of 1 in all/,
    },
    { name: 'negative memory', change: (z) => (z.services[0].resources.memory.min = -5), message: /services\[0\]\.resources\.memory\.min: memory\.min is at least 1024 bytes/ },
    { name: 'memory min above max', change: (z) => (z.services[0].resources.memory.min = 2147483648), message: /services\[0\]\.resources\.memory: min 2147483648 is above max 1073741824/ },
    { name: 'an unknown key at the top', change: (z) => (z.colour = 'blue'), message: /unknown field colour$/ },
    { name: 'an unknown key in a service', change: (z) => (z.services[0].gpus = 1), message: /unknown field services\[0\]\.gpus$/ },
    { name: 'a version 2 document', change: (z) => (z.version = 2), message: /version: Application description version mismatch \(expected: 3, found: 2\)/ },
    { name: 'no monitor service', change: (z) => (z.services[0].monitor = false), message: /at least one process should have the monitor property set to true/ },
    { name: 'a bad service name', change: (z) => (z.services[0].name = 'a b'), message: /services\[0\]\.name: a service name has 3 to 16 characters|only letters/ },
    { name: 'a port out of range', change: (z) => (z.services[0].ports[0].port_number = 70000), message: /services\[0\]\.ports\[0\]\.port_number: port_number must be 1 to 65535/ },
    { name: 'a fractional count', change: (z) => (z.services[0].total_count = 1.5), message: /services\[0\]\.total_count: total_count must be a whole number/ },
    { name: 'two services of one name', change: (z) => z.services.push({ ...z.services[0], monitor: false }), message: /services\[1\]\.name: another service is already named jupyter/ },
    { name: 'a string for will_end', change: (z) => (z.will_end = 'no'), message: /will_end: / },
  ];

  it.each(invalid)('refuses $name with 400, the field named in the reason phrase and the body', async ({ change, message }) => {
    const document = zapp();
    const changed = change(document);
    const body = changed !== undefined && typeof changed === 'object' && !Array.isArray(changed) && 'name' in (changed as object) ? changed : document;
    const answer = await validate(JSON.stringify(body), 'application/json');
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(message);
    // Zoe's client reads the reason phrase only.
    const raw = await fetch(`${t.url}/api/0.7/zapp_validate`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(raw.statusText).toMatch(/^Invalid application description/);
  });

  it('refuses a body that is not JSON with Zoe\'s words', async () => {
    const answer = await validate('name: not json', 'text/plain');
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^Error decoding JSON data/);
    expect((await validate('[1, 2]', 'application/json')).body.message).toMatch(/^Invalid application description/);
  });
});

describe('Zoe CORS', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {} } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('answers OPTIONS on any Zoe path with 204 and the CORS headers, without a credential', async () => {
    for (const path of ['/api/0.7/execution', '/api/0.7/execution/42', '/api/0.7/login']) {
      const answer = await fetch(`${t.url}${path}`, { method: 'OPTIONS', headers: { origin: 'https://notebooks.example' } });
      expect(answer.status, path).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://notebooks.example');
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.get('access-control-allow-methods')).toContain('DELETE');
      expect(answer.headers.get('access-control-allow-headers')).toContain('authorization');
    }
  });

  it('sets the CORS headers on answers and refusals alike, * without an Origin', async () => {
    const info = await fetch(`${t.url}/api/0.7/info`);
    expect(info.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await fetch(`${t.url}/api/0.7/login`, { headers: { origin: 'https://ui.example' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    // Tork's routes are not Zoe's: no CORS there.
    expect((await fetch(`${t.url}/health`)).headers.get('access-control-allow-origin')).toBeNull();
  });
});
