import { DEFAULT_CORES, type AppSpec } from '../../../core/app.js';
import { invalidInput } from '../../../core/errors.js';
import type { ZApp } from './zapp-schema.js';

/** A validated ZApp as the core runs it; volumes are mounted at `/mnt/<name>`, as Zoe mounts them. */
export function appSpecOf(zapp: ZApp): AppSpec {
  return {
    name: zapp.name,
    size: zapp.size,
    willEnd: zapp.will_end,
    services: zapp.services.map((service, index) => {
      return {
        group: service.name,
        image: service.image,
        command: service.command,
        environment: service.environment,
        ports: service.ports.map((port) => ({ name: port.name, port: port.port_number, protocol: port.protocol, urlTemplate: port.url_template })),
        cores: { min: service.resources.cores.min ?? DEFAULT_CORES, max: service.resources.cores.max },
        memory: { min: service.resources.memory.min ?? 0, max: service.resources.memory.max },
        volumes: service.volumes.map((volume, volumeIndex) => {
          if (!volume.path || !volume.name) throw invalidInput(`Invalid application description: services[${index}].volumes[${volumeIndex}]: a volume to mount needs its name and path`);
          return { name: volume.name, path: volume.path, readOnly: volume.read_only ?? false };
        }),
        workDir: service.work_dir,
        monitor: service.monitor,
        essentialCount: service.essential_count,
        totalCount: service.total_count,
        startupOrder: service.startup_order,
        labels: service.labels ?? [],
      };
    }),
  };
}
