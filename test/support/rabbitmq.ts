/**
 * A private RabbitMQ for tests and benchmarks: its own temp directory (database,
 * logs, config, Erlang cookie), its own node name, and its own loopback ports for
 * AMQP, the management API, Erlang distribution and epmd, so it never meets a
 * system-wide RabbitMQ or another run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RabbitMqServer {
  /** `amqp://` URL of the administrator on the default vhost. */
  amqpUrl: string;
  /** Base URL of the management HTTP API (no credentials in it). */
  managementUrl: string;
  username: string;
  password: string;
  /** How long the server took to answer on AMQP and the management API. */
  startupMs: number;
  /** Its temp directory (database, config, `log/rabbit.log`); the node's command line names it. */
  directory: string;
  /** Kills the server (and the epmd started for it) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Debian's `/usr/sbin/rabbitmq-server` is a wrapper that switches to the
 * `rabbitmq` user; the script behind it runs the node as whoever starts it, which
 * keeps the temp directory ours (no chown). Elsewhere the script on PATH is the
 * real one.
 */
const SERVER_SCRIPTS = ['/usr/lib/rabbitmq/bin/rabbitmq-server'];

const ADMIN_USER = 'gantry-admin';
const ADMIN_PASSWORD = 'gantry-test-password';
const STARTUP_TIMEOUT_MS = 45_000;
/**
 * How often quorum queues report their counts to the management API (the
 * server's default is 5 s): short, so tests that read a queue's depth wait little.
 */
const QUORUM_TICK_MS = 250;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function serverScript(): string | undefined {
  return SERVER_SCRIPTS.find(executable) ?? onPath('rabbitmq-server');
}

function epmdBinary(): string | undefined {
  return onPath('epmd') ?? ['/usr/lib/erlang/bin/epmd', '/usr/bin/epmd'].find(executable);
}

/** Whether a RabbitMQ server (and Erlang's epmd) is installed here. */
export function rabbitMqAvailable(): boolean {
  return serverScript() !== undefined && epmdBinary() !== undefined;
}

/** Distinct free loopback ports: all held open at once, so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : 0;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Kills a process group we started; gone already is fine. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test process that ends without stopping its servers still takes them along. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child);
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The Erlang-terms config: the classic format skips the schema translation of `rabbitmq.conf`, a good part of a second of start-up. */
function configFile(ports: { amqp: number; management: number }): string {
  return `[
  {rabbit, [
    {tcp_listeners, [{"127.0.0.1", ${ports.amqp}}]},
    {default_user, <<"${ADMIN_USER}">>},
    {default_pass, <<"${ADMIN_PASSWORD}">>},
    {default_user_tags, [administrator]},
    {quorum_tick_interval, ${QUORUM_TICK_MS}},
    {collect_statistics_interval, ${QUORUM_TICK_MS * 2}}
  ]},
  {rabbitmq_management, [{tcp_config, [{ip, "127.0.0.1"}, {port, ${ports.management}}]}]},
  {kernel, [{inet_dist_use_interface, {127, 0, 0, 1}}]}
].
`;
}

/** The environment of the node: ours only, whatever RABBITMQ_ or ERL_ settings the caller's shell has. */
function serverEnv(dir: string, nodeName: string, ports: { dist: number; epmd: number }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('RABBITMQ_') && !key.startsWith('ERL_')) env[key] = value;
  }
  return {
    ...env,
    // The Erlang cookie goes to $HOME.
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(ports.dist),
    ERL_EPMD_PORT: String(ports.epmd),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: join(dir, 'log', 'rabbit.log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.config'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    // Left absent: the system's rabbitmq-env.conf is not read, and no shell is spawned to source one.
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
  };
}

function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

let started = 0;

/**
 * Starts a RabbitMQ node with the management plugin and waits until both AMQP and
 * the management API answer. About 5 s on 2 cores, most of it the Erlang VM
 * loading RabbitMQ's modules.
 */
export async function startRabbitMq(): Promise<RabbitMqServer> {
  const script = serverScript();
  const epmd = epmdBinary();
  if (!script || !epmd) throw new Error('rabbitmq-server is not installed');
  installExitHook();
  const begun = Date.now();
  const [amqp, management, dist, epmdPort] = (await freePorts(4)) as [number, number, number, number];
  const dir = mkdtempSync(join(tmpdir(), 'gantry-rabbitmq-'));
  const nodeName = `gantry-test-${process.pid}-${started++}@localhost`;
  writeFileSync(join(dir, 'rabbitmq.config'), configFile({ amqp, management }));
  writeFileSync(join(dir, 'advanced.config'), '[].\n');
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  const env = serverEnv(dir, nodeName, { dist, epmd: epmdPort });

  // An epmd of our own on our own port: the node would otherwise start (or join) the
  // machine-wide one on 4369 and leave it running.
  const epmdChild = spawn(epmd, ['-port', String(epmdPort), '-address', '127.0.0.1'], { env, detached: true, stdio: 'ignore' });
  running.add(epmdChild);
  // Listening before the node looks for it: a node that finds no epmd starts one
  // itself, daemonized, out of our reach.
  while (!(await tcpOpen(epmdPort))) {
    if (epmdChild.exitCode !== null || Date.now() > begun + 5_000) {
      killGroup(epmdChild);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`epmd did not listen on port ${epmdPort}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  let output = '';
  const server = spawn(script, [], { env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(server);
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-16_384);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);

  const stop = async (): Promise<void> => {
    // SIGKILL, not a graceful stop: the data is thrown away, and a graceful stop takes seconds.
    killGroup(server);
    killGroup(epmdChild);
    await Promise.all([waitForExit(server), waitForExit(epmdChild)]);
    running.delete(server);
    running.delete(epmdChild);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  };

  const managementUrl = `http://127.0.0.1:${management}`;
  const authorization = `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64')}`;
  const deadline = begun + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) throw new Error('rabbitmq-server exited while starting');
      if (Date.now() > deadline) throw new Error(`rabbitmq-server did not answer within ${STARTUP_TIMEOUT_MS} ms`);
      const answered = await fetch(`${managementUrl}/api/overview`, { headers: { authorization }, signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (answered && (await tcpOpen(amqp))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'log', 'rabbit.log'), 'utf8');
    } catch {
      // no log written yet
    }
    await stop();
    throw new Error(`${(error as Error).message}\n--- output ---\n${tail(output)}\n--- log ---\n${tail(log)}`);
  }

  return {
    amqpUrl: `amqp://${ADMIN_USER}:${ADMIN_PASSWORD}@127.0.0.1:${amqp}/%2F`,
    managementUrl,
    username: ADMIN_USER,
    password: ADMIN_PASSWORD,
    startupMs: Date.now() - begun,
    directory: dir,
    stop,
  };
}
