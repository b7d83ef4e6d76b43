import { dnsName, type AppDefinition, type AppServiceSpec, type ServiceInstance } from '../../core/app.js';
import { invalidInput } from '../../core/errors.js';
import type { Job } from '../../core/model.js';
import type { RunGroup, RunMount, RunSpec } from '../../core/run-spec.js';

/**
 * The variables a service's environment values may name, as Zoe fills them:
 * `{execution_id}`, `{execution_name}`, `{user_name}`, `{deployment_name}`,
 * `{dns_name#<instance>}` for every instance and `{dns_name#self}`.
 */
function substitutions(job: Job, definition: AppDefinition, instances: readonly ServiceInstance[], self: ServiceInstance): Map<string, string> {
  const values = new Map<string, string>([
    ['execution_id', String(job.numId)],
    ['execution_name', job.name],
    ['user_name', job.owner],
    ['deployment_name', definition.deployment],
  ]);
  for (const instance of instances) values.set(`dns_name#${instance.name}`, dnsName(instance.name, job.numId, definition.deployment));
  values.set('dns_name#self', dnsName(self.name, job.numId, definition.deployment));
  return values;
}

/** `{name}` replaced by its value, `{{`/`}}` by braces (Python's str.format, which Zoe uses); an unknown name is an error. */
export function fillTemplate(template: string, values: ReadonlyMap<string, string>): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const value = values.get(name!);
    if (value === undefined) throw invalidInput(`Unknown variable in environment expression '${template}', known variables are: ${[...values.keys()].join(', ')}`);
    return value;
  });
}

/** Checks every service's environment against the variables it may use (at submit, before anything runs). */
export function checkEnvironment(job: Pick<Job, 'numId' | 'name' | 'owner'>, definition: AppDefinition, instances: readonly ServiceInstance[]): void {
  for (const instance of instances) {
    const service = serviceOf(definition, instance);
    const values = substitutions(job as Job, definition, instances, instance);
    for (const [, value] of service.environment) fillTemplate(value, values);
  }
}

export function serviceOf(definition: AppDefinition, instance: Pick<ServiceInstance, 'group'>): AppServiceSpec {
  const service = definition.spec.services.find((candidate) => candidate.group === instance.group);
  if (!service) throw new Error(`application has no service ${instance.group}`);
  return service;
}

/** What a node runs for one instance: its command in the sandbox, in the execution's network, with its limits. */
export function serviceRunSpec(job: Job, definition: AppDefinition, instances: readonly ServiceInstance[], self: ServiceInstance): RunSpec {
  const service = serviceOf(definition, self);
  // Filled from the node's configured image commands at submission.
  if (service.command === null) throw new Error(`service ${service.group} has no command`);
  const values = substitutions(job, definition, instances, self);
  const env: Record<string, string> = {};
  for (const [name, value] of service.environment) env[name] = fillTemplate(value, values);
  // The variables Zoe gives every service (its images read them).
  Object.assign(env, {
    EXECUTION_ID: String(job.numId),
    DEPLOY_NAME: definition.deployment,
    ZOE_USER: job.owner,
    SERVICE_NAME: self.name,
  });
  const group: RunGroup = {
    id: job.id,
    hostname: self.name,
    address: self.address,
    hosts: instances.map((instance) => ({ address: instance.address, names: [dnsName(instance.name, job.numId, definition.deployment), instance.name] })),
    expose: service.ports.map((port) => ({ name: port.name, port: port.port, protocol: port.protocol })),
  };
  const mounts: RunMount[] = service.volumes.map((volume) => ({ type: 'bind', source: volume.path, target: `/mnt/${volume.name}`, readOnly: volume.readOnly }));
  const memoryBytes = service.memory.max ?? (service.memory.min > 0 ? service.memory.min : undefined);
  return {
    steps: [{ role: 'main', name: self.name, image: service.image, run: service.command, env, files: {} }],
    mounts,
    limits: { cpus: service.cores.max ?? undefined, memoryBytes },
    network: false,
    group,
    workdir: service.workDir,
  };
}
