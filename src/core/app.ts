/**
 * Multi-service applications (Zoe's ZApps), as the core runs them: a job of kind
 * `app` whose tasks are long-running service instances. A dialect translates its
 * own document into an AppSpec; the scheduler admits an execution when every
 * essential instance fits at once (gang) and adds elastic ones as room allows.
 */
import type { Millis } from './model.js';

export interface AppPort {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** How a user opens it, with `{ip_port}` (and `{ip}`/`{port}`) filled in. */
  urlTemplate: string;
}

export interface AppVolume {
  name: string;
  /** Host directory. */
  path: string;
  readOnly: boolean;
}

/** One service of an application: `totalCount` instances, the first `essentialCount` of them essential. */
export interface AppServiceSpec {
  group: string;
  image: string;
  /** Null: the image's default command, as the node's configuration names it. */
  command: string | null;
  /** Values may hold `{execution_id}`, `{dns_name#<service>}`… (see serviceEnvironment). */
  environment: Array<[string, string]>;
  ports: AppPort[];
  /** Cores reserved per instance, and the most it may use (null: the reservation). */
  cores: { min: number; max: number | null };
  /** Bytes reserved per instance, and the most it may use (null: the reservation, or the runtime's cap when 0). */
  memory: { min: number; max: number | null };
  volumes: AppVolume[];
  workDir?: string;
  monitor: boolean;
  essentialCount: number;
  totalCount: number;
  startupOrder: number;
  labels: string[];
}

export interface AppSpec {
  name: string;
  /** The submitter's estimate of the application's size, for the size-based policy. */
  size: number;
  willEnd: boolean;
  services: AppServiceSpec[];
}

/** What an app job keeps as its definition. */
export interface AppDefinition {
  spec: AppSpec;
  /** The document as the user submitted it (after the dialect's defaults), shown back to them. */
  description: unknown;
  /** Name of the deployment the execution belongs to; part of its services' DNS names. */
  deployment: string;
}

export interface ServicePortBinding {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** Port on the node's host that reaches it; null until it runs (or for udp). */
  hostPort: number | null;
}

/** One instance of a service, kept while its execution is. Its current run is a task. */
export interface ServiceInstance {
  /** Numeric id (Zoe's service id). */
  numId: number;
  jobId: string;
  /** The task of its current run; null while it waits for room (an elastic instance) or never ran. */
  taskId: string | null;
  group: string;
  /** `<group><index>`. */
  name: string;
  index: number;
  essential: boolean;
  monitor: boolean;
  /** Address in the execution's own network. */
  address: string;
  /** Host the node forwards its ports from; null until it runs. */
  host: string | null;
  ports: ServicePortBinding[];
  createdAt: Millis;
}

/** An instance's share of a node, as the scheduler counts it. */
export interface Reservation {
  cores: number;
  memoryBytes: number;
}

/** Zoe's default when a ZApp leaves `cores.min` unset. */
export const DEFAULT_CORES = 0.1;

export function reservationOf(service: AppServiceSpec): Reservation {
  return { cores: service.cores.min, memoryBytes: service.memory.min };
}

/** What an execution's instances reserve, summed: the essential ones (what it cannot start without), or all. */
function reservationOfInstances(spec: AppSpec, count: (service: AppServiceSpec) => number): Reservation {
  let cores = 0;
  let memoryBytes = 0;
  for (const service of spec.services) {
    cores += service.cores.min * count(service);
    memoryBytes += service.memory.min * count(service);
  }
  return { cores, memoryBytes };
}

export const essentialReservation = (spec: AppSpec): Reservation => reservationOfInstances(spec, (service) => service.essentialCount);
export const totalReservation = (spec: AppSpec): Reservation => reservationOfInstances(spec, (service) => service.totalCount);

/** The DNS name of an instance, as Zoe forms it: `<instance>-<execution id>-<deployment>`. */
export function dnsName(instanceName: string, executionNumId: number, deployment: string): string {
  return `${instanceName}-${executionNumId}-${deployment}`;
}

/** The address of the n-th instance (0-based) in an execution's network: 10.77.0.2 onwards. */
export function memberAddress(ordinal: number): string {
  const host = ordinal + 2;
  return `10.77.${Math.floor(host / 256)}.${host % 256}`;
}

/** The address of the network's own end (where forwarded connections come from). */
export const GROUP_GATEWAY_ADDRESS = '10.77.0.1';
export const GROUP_PREFIX_LENGTH = 16;
/** Most instances one execution may have: the addresses of its /16. */
export const MAX_INSTANCES = 65_000;
