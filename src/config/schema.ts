import { z } from 'zod';

/** `http://` or `https://` with a host: what `fetch` can reach (`localhost:5001` parses as a URL of scheme `localhost:`). */
const httpUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL, e.g. http://127.0.0.1:5001');

const nonEmpty = z.string().min(1, 'must not be empty');

/**
 * Every setting of Gantry, with its unit and default. Loaded once by
 * `loadConfig` (defaults, then gantry.yaml, then GANTRY_* environment, then
 * flags), validated, frozen and passed down. Nothing else reads process.env.
 * Every object is strict: a misspelt key is an error, never silently ignored.
 */
export const configSchema = z
  .object({
    /** Address the HTTP server listens on. Default loopback only. */
    host: nonEmpty.default('127.0.0.1'),
    /** TCP port of the HTTP server (all five APIs share it). 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(5001),
    /** Directory for the SQLite database, task work areas and keys. Created if missing. */
    dataDir: nonEmpty.default('.gantry'),
    /**
     * Database URL. Unset: SQLite in `<dataDir>/gantry.db`. `postgres://…` selects
     * PostgreSQL; `sqlite:<path>` an explicit SQLite file.
     */
    database: z
      .string()
      .regex(/^(postgres(ql)?:\/\/|sqlite:)./, 'expected postgres://…, postgresql://… or sqlite:<file>')
      .optional(),
    /**
     * Base URL of the server that CLI client commands talk to. Unset: the server
     * this configuration would start, `http://<host>:<port>` (127.0.0.1 for a
     * wildcard host), so the default is http://127.0.0.1:5001.
     */
    server: httpUrl.optional(),
    /** pino log level of the server. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    api: z
      .object({
        /** Largest request body accepted, in bytes (Tork's default is 500K). */
        bodyLimitBytes: z.number().int().positive().default(500 * 1024),
      })
      .strict()
      .prefault({}),
    worker: z
      .object({
        /** Start the in-process worker with the server. */
        enabled: z.boolean().default(true),
        /** Node name shown by `GET /nodes`. */
        name: nonEmpty.default('local'),
        /** Queues this worker serves. */
        queues: z.array(z.string().min(1)).min(1).default(['default']),
        /** Most tasks run at once on this worker. */
        maxTasks: z.number().int().positive().default(8),
        /** Milliseconds between heartbeats (with cpu percent). */
        heartbeatMs: z.number().int().positive().default(10_000),
        /** Milliseconds between samples of each running task's cpu load and memory (its metrics); 0: none. */
        sampleMs: z.number().int().nonnegative().default(10_000),
        /** The cluster location this worker is at (EWMS's `cluster_locations`): taskforces there run their pilots on it. */
        location: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a location is 1 to 64 letters, digits and . _ -').default('local'),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        /** Milliseconds between scheduler passes when no event wakes it. */
        tickMs: z.number().int().positive().default(1_000),
        /** A node missing heartbeats for this many milliseconds is DOWN and its tasks are re-queued. */
        nodeTimeoutMs: z.number().int().positive().default(60_000),
        /** First retry delay in milliseconds; doubles per attempt (retry backoff). */
        retryBackoffMs: z.number().int().nonnegative().default(1_000),
        /** Upper bound of the retry delay in milliseconds. */
        retryBackoffMaxMs: z.number().int().nonnegative().default(60_000),
      })
      .strict()
      .prefault({}),
    runtime: z
      .object({
        /** `auto` uses bubblewrap when installed, else util-linux unshare. */
        sandbox: z.enum(['auto', 'bwrap', 'unshare']).default('auto'),
        /** Host uid tasks run as when Gantry runs as root. */
        runAsUid: z.number().int().nonnegative().default(65534),
        /** Host gid tasks run as when Gantry runs as root. */
        runAsGid: z.number().int().nonnegative().default(65534),
        /** Memory cap in bytes for a task that sets no `limits.memory`. */
        defaultMemoryBytes: z.number().int().positive().default(2 * 1024 ** 3),
        /** Most processes a task may have at once. */
        defaultPids: z.number().int().positive().default(256),
        /** Bytes kept of a task's output file ($TORK_OUTPUT). */
        outputCapBytes: z.number().int().positive().default(64 * 1024),
        /** Longest log line kept, in bytes; longer lines are cut and marked. */
        logLineCapBytes: z.number().int().positive().default(16 * 1024),
        /** Bytes of log kept per task; later lines are dropped and the log says so. */
        logCapBytes: z.number().int().positive().default(8 * 1024 ** 2),
        /** Image name → root file system directory used for tasks with that image. */
        images: z.record(z.string(), z.string()).default({}),
        /**
         * Image name → the command it runs by default (its entrypoint and cmd, as one
         * shell command), for application services that give none (Zoe's \`command: null\`).
         */
        imageCommands: z.record(z.string(), nonEmpty).default({}),
        /** Allow `bind` mounts of host paths into tasks (Tork's default is off too). */
        allowBindMounts: z.boolean().default(false),
        /**
         * Directory of the tasks' work areas. Default `<dataDir>/work`; when Gantry runs
         * as root and the task user cannot reach that (a data directory under /root,
         * say), a directory of Gantry's under the system temp directory.
         */
        workRoot: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** On SIGTERM, running tasks get this many milliseconds to finish before they are cancelled. */
        graceMs: z.number().int().nonnegative().default(10_000),
      })
      .strict()
      .prefault({}),
    zoe: z
      .object({
        /** The deployment name Zoe's `/info` answers; also the last part of every service's DNS name. */
        deploymentName: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'a deployment name is 1 to 32 lower-case letters, digits and -, as in a DNS name')
          .default('gantry'),
      })
      .strict()
      .prefault({}),
    cockpit: z
      .object({
        /** The name this installation has as a ClusterCockpit cluster (its own jobs' cluster). */
        clusterName: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a cluster name is 1 to 64 letters, digits and . _ -').default('gantry'),
        /** Metric samples older than this many days are removed (0: kept for ever). */
        metricRetentionDays: z.number().nonnegative().default(30),
        /**
         * The other clusters whose jobs are recorded here, as ClusterCockpit's cluster
         * documents (cluster.schema.json): `name`, `metricConfig`, `subClusters` with
         * their `name` and `nodes` (a host list such as `node[001-128]`) and the rest.
         */
        clusters: z
          .array(
            z
              .object({
                name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a cluster name is 1 to 64 letters, digits and . _ -'),
                metricConfig: z.array(z.record(z.string(), z.unknown())).default([]),
                subClusters: z.array(z.looseObject({ name: nonEmpty, nodes: nonEmpty })).min(1, 'a cluster has at least one subcluster'),
              })
              .loose(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    ewms: z
      .object({
        /** An AMQP broker (`amqp://user:password@host:5672/vhost`, RabbitMQ) for the workflows' queues; unset: Gantry's own queues in its store. */
        mq: z.string().regex(/^amqps?:\/\//, 'an AMQP URL starts with amqp:// or amqps://').optional(),
        /** RabbitMQ's management API, which makes each workflow's user; default the broker's host on port 15672, with its credentials. */
        mqManagementUrl: z.url().optional(),
        /** Where pilots and users reach the broker, as profiles tell them; default the broker URL's host and port. */
        mqPublicAddress: nonEmpty.optional(),
        /** A message delivered this many times without an ack goes to its queue's dead-letter queue. */
        maxDeliveries: z.number().int().min(1).max(1_000).default(5),
        /** Seconds a pilot holds an event before it is delivered to another (unless the pilot acks, nacks or is seen to end first). */
        visibilitySeconds: z.number().int().positive().default(600),
        /**
         * Cluster locations served by a task management service outside Gantry (one that drives
         * HTCondor through the /v1/tms routes), each with the schedd it polls for. Locations of
         * Gantry's own workers need no entry.
         */
        locations: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a location is 1 to 64 letters, digits and . _ -'), z.object({ schedd: nonEmpty }).strict()).default({}),
        /** Most documents in one page of a query's answer. */
        queryPageRows: z.number().int().min(1).max(100_000).default(1_000),
        /** A POST repeated with the same body by the same user within this many seconds is a replay: it gets the first answer. */
        replaySeconds: z.number().int().nonnegative().default(300),
        /** Milliseconds between the taskforce manager's passes when nothing wakes it. */
        tickMs: z.number().int().positive().default(1_000),
      })
      .strict()
      .prefault({}),
    apps: z
      .object({
        /** Order of the queue of multi-service executions: FIFO, or SIZE (smallest `size` first, Zoe's size-based policy). */
        policy: z.enum(['FIFO', 'SIZE']).default('FIFO'),
        /** Milliseconds between scheduler passes when nothing wakes it. */
        tickMs: z.number().int().positive().default(5_000),
        /** Address the host ports of services' exposed ports listen on. */
        exposeAddress: nonEmpty.default('127.0.0.1'),
        /** Host name in the endpoint links of exposed ports; default the expose address. */
        exposeHost: nonEmpty.optional(),
      })
      .strict()
      .prefault({}),
    exec: z
      .object({
        /** Serve `/v1/exec` (Zeroboot) from warm sandbox pools. */
        enabled: z.boolean().default(true),
        /** The python that runs the warm templates and python snippets; unset: /usr/bin/python3, else /usr/local/bin/python3. */
        python: nonEmpty.optional(),
        /** The node that runs node snippets; unset: this Gantry's own node when it lives under /usr, else /usr/bin/node, /usr/local/bin/node. */
        node: nonEmpty.optional(),
        /** How python sandboxes are made: `fork` of a warm interpreter (fast), or `exec` of a fresh one each (a plain pool). */
        pythonMode: z.enum(['fork', 'exec']).default('fork'),
        /** Sandboxes kept prepared per language. */
        spares: z.object({ python: z.number().int().min(1).max(256).default(8), node: z.number().int().min(1).max(256).default(4) }).strict().prefault({}),
        /** Memory a snippet may use (RLIMIT_DATA), per sandbox; health's `memory_mb`. */
        memoryMb: z.number().int().min(16).max(65_536).default(256),
        /** Size of each sandbox's private /tmp. */
        tmpMb: z.number().int().min(1).max(4_096).default(64),
        /** Processes (and threads) one sandbox may have. */
        pids: z.number().int().min(1).max(4_096).default(64),
        /** stdout and stderr kept per snippet; past it the snippet is stopped and the output marked truncated. */
        outputCapBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024),
        /** Default and largest `timeout_seconds` (Zeroboot's 30 and 300). */
        defaultTimeoutSeconds: z.number().int().positive().default(30),
        maxTimeoutSeconds: z.number().int().positive().default(300),
        /** Snippets running at once per language; more wait in a queue of `queueLength`, then get 503. */
        maxRunning: z.number().int().positive().default(32),
        queueLength: z.number().int().nonnegative().default(256),
        /** Longest a snippet waits in that queue before it gets 503. */
        queueTimeoutMs: z.number().int().positive().default(10_000),
        /** Snippets one batch may hold. */
        maxBatch: z.number().int().positive().default(64),
        /** Exec records whose code and output are kept; older ones keep their timings and exit code only. */
        keepOutputs: z.number().int().nonnegative().default(10_000),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /**
         * Dialects that take requests without credentials as a named user: `{tork: alice}`
         * lets Tork's web UI (which sends none) work as alice. Off by default; refused when
         * listening beyond loopback without TLS.
         */
        anonymous: z.object({ tork: nonEmpty.optional() }).strict().prefault({}),
        /** Password of the `admin` user made on first start; unset: a random one, printed once and kept in the data directory. */
        adminPassword: nonEmpty.optional(),
        /** Seconds an OAuth2 access token is valid (Zoe's `expires_in`). */
        accessTokenSeconds: z.number().int().positive().default(36_000),
        /** Seconds a refresh token is valid. */
        refreshTokenSeconds: z.number().int().positive().default(30 * 86_400),
        /** Seconds the login cookie is valid. */
        cookieSeconds: z.number().int().positive().default(7 * 86_400),
        jwt: z
          .object({
            /**
             * Ed25519 public key, base64 of its 32 raw bytes, as ClusterCockpit's JWT_PUBLIC_KEY.
             * Unset: the key pair Gantry made on first start.
             */
            publicKey: nonEmpty.optional(),
            /** Ed25519 private key, base64 of seed and public key (64 bytes), as JWT_PRIVATE_KEY; needed to issue tokens. */
            privateKey: nonEmpty.optional(),
            /** Longest a token is accepted after it was issued, and the lifetime of tokens Gantry issues, in seconds. 0: no limit. */
            maxAgeSeconds: z.number().int().nonnegative().default(0),
            /** ClusterCockpit's validateUser: accept only tokens of stored users, with their stored roles. */
            validateUser: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** Zeroboot's keys file: a JSON array of API keys. Default `<dataDir>/api_keys.json`. */
        apiKeysFile: nonEmpty.optional(),
        /** Requests per second one API key may make (Zeroboot's 100). */
        apiKeyRequestsPerSecond: z.number().int().positive().default(100),
        /** ClusterCockpit's api-allowed-ips: addresses admin routes accept requests from; empty: any. `*` allows all. */
        apiAllowedIps: z.array(nonEmpty).default([]),
      })
      .strict()
      .prefault({}),
    client: z
      .object({
        /** Bearer credential CLI client commands send: an API key, a JWT or an access token. */
        token: nonEmpty.optional(),
        /** Username for HTTP Basic (with `password`). */
        user: nonEmpty.optional(),
        /** Password for HTTP Basic; from GANTRY_PASSWORD, never a flag (flags show in process lists). */
        password: nonEmpty.optional(),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        /** PEM certificate (chain) file; with `keyFile`, the server speaks HTTPS. */
        certFile: nonEmpty,
        /** PEM private key file. */
        keyFile: nonEmpty,
      })
      .strict()
      .optional(),
    webhooks: z
      .object({
        /** Attempts per webhook call (first try included). */
        attempts: z.number().int().positive().default(5),
        /** Milliseconds before the first retry; doubles per attempt. */
        backoffMs: z.number().int().nonnegative().default(1_000),
        /** Milliseconds a webhook call may take. */
        timeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The loaded configuration: the schema's output, with `server` always resolved. */
export type GantryConfig = Omit<z.infer<typeof configSchema>, 'server'> & {
  server: string;
  /** The PATH Gantry was started with, where the sandbox tools (bwrap, unshare, setpriv…) are looked up. */
  toolSearchPath: string;
};
/** What a source (file, environment, flags) may set: any part of the config. */
export type ConfigInput = z.input<typeof configSchema>;
