import { z } from 'zod';

/**
 * Zoe's application description, format version 3, as its published JSON
 * schema has it: every object closed (unknown keys are errors), integers
 * where the schema says `multipleOf: 1`, names by their patterns. The
 * schema's non-standard `regex` keywords (env-var names, url templates,
 * volume fields) were never enforced by Zoe and are not here either.
 */
const whole = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`);

const port = z
  .object({
    name: z.string().min(3, 'a port name has at least 3 characters'),
    port_number: whole('port_number').min(1, 'port_number must be 1 to 65535').max(65_535, 'port_number must be 1 to 65535'),
    protocol: z.enum(['tcp', 'udp'], { error: 'protocol must be tcp or udp' }),
    url_template: z.string(),
    proxy: z.boolean().optional(),
  })
  .strict();

const volume = z
  .object({
    name: z.string().min(3, 'a volume name has at least 3 characters').optional(),
    path: z.string().min(2, 'a volume path has at least 2 characters').optional(),
    read_only: z.boolean().optional(),
  })
  .strict();

const envVar = z.tuple([z.string(), z.string()], { error: 'an environment entry is [NAME, value]' });

const nullable = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

const resources = z
  .object({
    memory: z
      .object({
        min: nullable(whole('memory.min').min(1024, 'memory.min is at least 1024 bytes')),
        max: nullable(whole('memory.max').min(0, 'memory.max cannot be negative')),
      })
      .strict(),
    cores: z
      .object({
        min: nullable(z.number().gt(0, 'cores.min must be more than 0')),
        max: nullable(z.number().gt(0, 'cores.max must be more than 0')),
      })
      .strict(),
    shm: whole('shm').min(0, 'shm cannot be negative').optional(),
  })
  .strict();

const service = z
  .object({
    name: z
      .string()
      .min(3, 'a service name has 3 to 16 characters')
      .max(16, 'a service name has 3 to 16 characters')
      .regex(/^[a-zA-Z0-9-]*$/, 'a service name has only letters, digits and -'),
    image: z.string().min(1, 'image must not be empty'),
    ports: z.array(port),
    environment: z.array(envVar),
    volumes: z.array(volume),
    monitor: z.boolean(),
    startup_order: whole('startup_order'),
    essential_count: whole('essential_count').min(1, 'essential_count is at least 1'),
    total_count: whole('total_count').min(1, 'total_count is at least 1'),
    replicas: whole('replicas').min(1, 'replicas is at least 1').optional(),
    resources,
    command: nullable(z.string().min(1, 'command must not be empty (null for the image default)')),
    work_dir: z.string().min(1).optional(),
    labels: z.array(z.string()).optional(),
    network: z.string().min(1).optional(),
  })
  .strict();

export const zappSchema = z
  .object({
    name: z
      .string()
      .min(3, 'name has 3 to 128 characters')
      .max(128, 'name has 3 to 128 characters')
      .regex(/^[@a-zA-Z0-9-]*$/, 'name has only letters, digits, @ and -'),
    will_end: z.boolean(),
    size: whole('size').min(0, 'size cannot be negative'),
    version: whole('version'),
    services: z.array(service).min(1, 'services needs at least one service'),
  })
  .strict();

export type ZApp = z.infer<typeof zappSchema>;
export type ZAppService = ZApp['services'][number];
