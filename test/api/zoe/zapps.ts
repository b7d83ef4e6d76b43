/** ZApps for the execution tests: small python services on the host's userland. */

export interface ServiceOptions {
  name: string;
  command: string;
  monitor?: boolean;
  essential?: number;
  total?: number;
  cores?: number | null;
  memory?: number | null;
  ports?: Array<{ name: string; port_number: number; protocol: 'tcp' | 'udp'; url_template: string }>;
  environment?: Array<[string, string]>;
  startupOrder?: number;
}

export function service(options: ServiceOptions): Record<string, unknown> {
  return {
    name: options.name,
    image: 'python:3-slim',
    command: options.command,
    environment: options.environment ?? [],
    ports: options.ports ?? [],
    volumes: [],
    monitor: options.monitor ?? false,
    startup_order: options.startupOrder ?? 0,
    essential_count: options.essential ?? 1,
    total_count: options.total ?? options.essential ?? 1,
    resources: { memory: { min: options.memory ?? null, max: null }, cores: { min: options.cores ?? null, max: null } },
  };
}

export function zapp(name: string, services: Array<Record<string, unknown>>, size = 1): Record<string, unknown> {
  return { name, version: 3, will_end: false, size, services };
}

/** A service that stays up until stopped. */
export const idle = (name: string, options: Partial<ServiceOptions> = {}): Record<string, unknown> =>
  service({ name, command: 'exec sleep 600', monitor: true, ...options });

/** A web server on port 8080 serving "hello from <name>". */
export const webServer = (name: string, options: Partial<ServiceOptions> = {}): Record<string, unknown> =>
  service({
    name,
    command: `cd /tmp && echo "hello from $SERVICE_NAME" > index.html && exec python3 -u -m http.server 8080`,
    ports: [{ name: 'web page', port_number: 8080, protocol: 'tcp', url_template: 'http://{ip_port}/index.html' }],
    ...options,
  });
