/**
 * Private networks for groups of tasks (the services of one application).
 *
 * Each group gets a network namespace holding a bridge; each member gets a
 * network namespace of its own, joined to the bridge by a veth pair, with its
 * own address. Members reach each other by the names in the group's hosts
 * file; nothing else can reach them (the bridge has no link to the host or to
 * other groups), and they reach nothing else. A member's exposed ports are
 * reached through host ports the node picks: each connection accepted there is
 * handed to a small forwarder inside the group's namespace, which connects to
 * the member. Needs root and iproute2 (`ip`) and util-linux `nsenter`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GROUP_GATEWAY_ADDRESS, GROUP_PREFIX_LENGTH } from '../../core/app.js';
import type { RunEndpoints, RunGroup } from '../../core/run-spec.js';
import { processAlive } from '../process/process-alive.js';
import { findOnPath } from '../process/sandbox-host.js';
import { runCommands, runIpCommands, spawnRunner, type CommandRunner } from './ip-command.js';

const NETNS_DIR = '/run/netns';
const FORWARDER = join(dirname(fileURLToPath(import.meta.url)), 'port-forwarder.cjs');

export interface GroupNetworkOptions {
  /** Where each group's hosts file is kept. */
  stateDir: string;
  /** Address the host ports of exposed ports listen on. */
  exposeAddress: string;
  /** Host name put into endpoints (what a user's browser connects to). */
  exposeHost: string;
  toolSearchPath: string;
  /** Host uid/gid the forwarder runs as. */
  runAs?: { uid: number; gid: number };
  /** How `ip` runs; default: spawned from this process. */
  runner?: CommandRunner;
}

/** What a member's sandbox needs: the namespace to enter and the hosts file to see. */
export interface GroupMembership {
  netnsPath: string;
  hostsFile: string;
  hostname: string;
  endpoints?: RunEndpoints;
  release(): Promise<void>;
}

interface GroupState {
  netns: string;
  dir: string;
  members: number;
  nextLink: number;
  forwarder?: ChildProcess;
  ready: Promise<void>;
}

/** Names start with the owning Gantry's pid, so a later start can tell what a dead one left behind. */
const PREFIX = 'gantry-';

/**
 * Namespaces made ahead of demand: making one is most of the cost of a member
 * joining (the kernel sets a network namespace up), so a few wait ready, their
 * loopback up, bridge ones with their bridge.
 */
const SPARE_MEMBERS = 6;
const SPARE_BRIDGES = 2;
const REFILL_DELAY_MS = 30;

/** Namespaces of one kind made ahead; taking one starts making the next. */
class SparePool {
  private readonly ready: string[] = [];
  private making = 0;
  private stopped = false;

  constructor(
    private readonly size: number,
    private readonly make: () => Promise<string>,
    private readonly discard: (name: string) => Promise<void>,
  ) {}

  async take(): Promise<string> {
    const name = this.ready.shift();
    // Made a little later, not beside the join that took one (they would compete for the same kernel locks).
    setTimeout(() => this.fill(), REFILL_DELAY_MS).unref();
    return name ?? this.make();
  }

  /** Takes back a namespace in the state `make` leaves one in; false when the pool is full (the caller removes it). */
  giveBack(name: string): boolean {
    if (this.stopped || this.ready.length >= this.size) return false;
    this.ready.push(name);
    return true;
  }

  fill(): void {
    while (!this.stopped && this.ready.length + this.making < this.size) {
      this.making++;
      this.make().then(
        async (name) => {
          this.making--;
          if (this.stopped) await this.discard(name);
          else this.ready.push(name);
        },
        () => {
          // Made on demand instead; the member that needs it says why it could not be.
          this.making--;
        },
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.ready.splice(0).map((name) => this.discard(name)));
  }
}

let instances = 0;

export class GroupNetworks {
  private readonly groups = new Map<string, GroupState>();
  private ip: string | undefined;
  private nsenter: string | undefined;
  private unavailable: string | undefined;
  private readonly tag = `${PREFIX}${process.pid}-${++instances}`;
  private sequence = 0;
  private members: SparePool | undefined;
  private bridges: SparePool | undefined;
  /** Namespaces being removed (off the way of a task's outcome); stop() waits for them. */
  private readonly removals = new Set<Promise<void>>();

  private readonly runner: CommandRunner;

  constructor(private readonly options: GroupNetworkOptions) {
    this.runner = options.runner ?? spawnRunner;
  }

  private ipRun(args: string[]): Promise<void> {
    return runIpCommands(this.runner, this.ip!, [args]);
  }

  /** Finds the tools and removes what a Gantry that died left behind. Never throws: members fail with the reason instead. */
  async start(): Promise<void> {
    this.ip = findOnPath('ip', this.options.toolSearchPath);
    this.nsenter = findOnPath('nsenter', this.options.toolSearchPath);
    if (process.getuid?.() !== 0) this.unavailable = 'private application networks need Gantry to run as root';
    else if (!this.ip) this.unavailable = 'private application networks need iproute2 (ip): apt-get install iproute2';
    else if (!this.nsenter) this.unavailable = 'private application networks need util-linux nsenter';
    if (this.unavailable) return;
    for (const name of listNetns()) {
      const owner = Number(name.slice(PREFIX.length).split('-')[0]);
      if (name.startsWith(PREFIX) && Number.isInteger(owner) && owner !== process.pid && !processAlive(owner)) {
        await this.ipRun(['netns', 'del', name]).catch(() => undefined);
      }
    }
    const ip = this.ip!;
    const discard = (name: string) => this.ipRun(['netns', 'del', name]).catch(() => undefined);
    const nsenter = this.nsenter!;
    this.members = new SparePool(SPARE_MEMBERS, async () => {
      const name = `${this.tag}-n${++this.sequence}`;
      await runCommands(this.runner, [
        [ip, 'netns', 'add', name],
        [ip, '-n', name, 'link', 'set', 'lo', 'up'],
        // Services bind the ports their images expect (80, 443…), as in a container's own network.
        [nsenter, `--net=${join(NETNS_DIR, name)}`, '--', '/bin/sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start'],
      ]);
      return name;
    }, discard);
    this.bridges = new SparePool(SPARE_BRIDGES, async () => {
      const name = `${this.tag}-n${++this.sequence}`;
      await runIpCommands(this.runner, ip, [
        ['netns', 'add', name],
        ['-n', name, 'link', 'set', 'lo', 'up'],
        ['-n', name, 'link', 'add', 'br0', 'type', 'bridge'],
        ['-n', name, 'addr', 'add', `${GROUP_GATEWAY_ADDRESS}/${GROUP_PREFIX_LENGTH}`, 'dev', 'br0'],
        ['-n', name, 'link', 'set', 'br0', 'up'],
      ]);
      return name;
    }, discard);
    this.members.fill();
    this.bridges.fill();
  }

  /** Why groups cannot be made on this node, if they cannot. */
  get unavailableReason(): string | undefined {
    return this.unavailable;
  }

  /** The nsenter binary, for the sandbox command. */
  get nsenterPath(): string | undefined {
    return this.nsenter;
  }

  async join(group: RunGroup): Promise<GroupMembership> {
    if (this.unavailable) throw new Error(this.unavailable);
    const state = this.groupState(group);
    state.members++;
    let memberNetns: string | undefined;
    const listeners: Server[] = [];
    try {
      await state.ready;
      memberNetns = await this.members!.take();
      const link = `v${++state.nextLink}`;
      await runIpCommands(this.runner, this.ip!, [
        ['link', 'add', 'name', link, 'netns', state.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', memberNetns],
        ['-n', memberNetns, 'addr', 'add', `${group.address}/${GROUP_PREFIX_LENGTH}`, 'dev', 'eth0'],
        ['-n', memberNetns, 'link', 'set', 'eth0', 'up'],
        ['-n', state.netns, 'link', 'set', link, 'master', 'br0', 'up'],
      ]);
      const hostsFile = join(state.dir, 'hosts');
      const endpoints = await this.expose(state, group, listeners);
      const netns = memberNetns;
      let released = false;
      return {
        netnsPath: join(NETNS_DIR, netns),
        hostsFile,
        hostname: group.hostname,
        endpoints,
        // The namespaces go in the background: the task's outcome need not wait for them.
        release: async () => {
          if (released) return;
          released = true;
          const removal = this.leave(group.id, state, netns, listeners).finally(() => this.removals.delete(removal));
          this.removals.add(removal);
        },
      };
    } catch (error) {
      await this.leave(group.id, state, memberNetns, listeners);
      throw error;
    }
  }

  /** Removes every group this node made. */
  async stop(): Promise<void> {
    await this.members?.stop();
    await this.bridges?.stop();
    while (this.removals.size > 0) await Promise.allSettled([...this.removals]);
    for (const [id, state] of [...this.groups]) {
      this.groups.delete(id);
      state.forwarder?.kill('SIGKILL');
      await this.ipRun(['netns', 'del', state.netns]).catch(() => undefined);
      rmSync(state.dir, { recursive: true, force: true });
    }
    for (const name of listNetns()) if (name.startsWith(`${this.tag}-`)) await this.ipRun(['netns', 'del', name]).catch(() => undefined);
    // Made with the first group; other runtimes on this work root may still use it.
    try {
      rmdirSync(this.options.stateDir);
    } catch {
      // not made, or not empty
    }
  }

  private groupState(group: RunGroup): GroupState {
    const state = this.groups.get(group.id);
    if (state) return state;
    const dir = join(this.options.stateDir, `${this.tag}-g${++this.sequence}`);
    const created: GroupState = { netns: '', dir, members: 0, nextLink: 0, ready: Promise.resolve() };
    created.ready = (async () => {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      // Every member of a group is given the same hosts: written once, never while bound into a sandbox.
      writeHosts(join(dir, 'hosts'), group);
      created.netns = await this.bridges!.take();
    })();
    this.groups.set(group.id, created);
    return created;
  }

  private async leave(groupId: string, state: GroupState, memberNetns: string | undefined, listeners: Server[]): Promise<void> {
    for (const listener of listeners) listener.close();
    // A member's namespace serves again once its link is gone: its task could not change it (the task's
    // user namespace does not own it), and its processes are gone. Its link's end on the bridge goes with it.
    if (memberNetns) await this.recycle(this.members!, memberNetns, [['-n', memberNetns, 'link', 'del', 'eth0']]);
    if (--state.members > 0) return;
    if (this.groups.get(groupId) === state) this.groups.delete(groupId);
    state.forwarder?.kill('SIGKILL');
    await state.ready.catch(() => undefined);
    if (state.netns) await this.recycle(this.bridges!, state.netns, []);
    rmSync(state.dir, { recursive: true, force: true });
  }

  private async recycle(pool: SparePool, name: string, reset: string[][]): Promise<void> {
    try {
      if (reset.length > 0) await runIpCommands(this.runner, this.ip!, reset);
      if (pool.giveBack(name)) return;
    } catch {
      // Not reusable: removed instead.
    }
    await this.ipRun(['netns', 'del', name]).catch(() => undefined);
  }

  /** Host ports for the member's tcp ports, each handed to the group's forwarder. */
  private async expose(state: GroupState, group: RunGroup, listeners: Server[]): Promise<RunEndpoints | undefined> {
    const tcp = group.expose.filter((port) => port.protocol === 'tcp');
    if (tcp.length === 0) return undefined;
    const ports: RunEndpoints['ports'] = [];
    for (const port of tcp) {
      const server = createServer({ pauseOnConnect: true }, (socket) => this.forward(state, socket, group.address, port.port));
      listeners.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, this.options.exposeAddress, () => resolve());
      });
      const address = server.address();
      if (address && typeof address === 'object') ports.push({ name: port.name, port: port.port, hostPort: address.port });
    }
    return { host: this.options.exposeHost, ports };
  }

  private forward(state: GroupState, socket: Socket, address: string, port: number): void {
    const forwarder = this.forwarderOf(state);
    if (!forwarder.connected) {
      socket.destroy();
      return;
    }
    forwarder.send({ address, port }, socket, (error) => {
      if (error) socket.destroy();
    });
  }

  private forwarderOf(state: GroupState): ChildProcess {
    if (state.forwarder && state.forwarder.connected) return state.forwarder;
    const runAs = this.options.runAs;
    const drop = runAs ? [findOnPath('setpriv', this.options.toolSearchPath) ?? 'setpriv', `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs'] : [];
    const child = spawn(this.nsenter!, [`--net=${join(NETNS_DIR, state.netns)}`, '--', ...drop, process.execPath, FORWARDER], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { PATH: '/usr/bin:/bin' },
      serialization: 'json',
    });
    child.on('error', () => undefined);
    state.forwarder = child;
    return child;
  }
}

function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** The group's hosts file: loopback, then every member by its names. Rewritten whole: members know the same group. */
function writeHosts(path: string, group: RunGroup): void {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const host of group.hosts) lines.push(`${host.address}\t${host.names.join(' ')}`);
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o644 });
}
