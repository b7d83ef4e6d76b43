import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GantryConfig } from '../../config/schema.js';
import { EXEC_LANGUAGES, WarmPools } from '../../runtime/warm/warm-pools.js';
import type { Store } from '../../store/open.js';
import { ExecMetrics } from './exec-metrics.js';
import { ExecRecorder } from './exec-recorder.js';
import { ExecService } from './exec-service.js';

/** The exec service with its warm pools (started when `exec.enabled`), recorder and metrics. */
export async function startExec(config: GantryConfig, store: Store, registry: Registry, workRoot: string, logger: Logger): Promise<{ exec: ExecService; stop(): Promise<void> }> {
  const settings = config.exec;
  const pools = new WarmPools(
    {
      python: settings.python,
      node: settings.node,
      pythonMode: settings.pythonMode,
      spares: settings.spares,
      memoryMb: settings.memoryMb,
      tmpMb: settings.tmpMb,
      pids: settings.pids,
      outputCapBytes: settings.outputCapBytes,
      maxTimeoutSeconds: settings.maxTimeoutSeconds,
      maxRunning: settings.maxRunning,
    },
    workRoot,
    config.toolSearchPath,
    logger,
  );
  const recorder = new ExecRecorder(store, settings.keepOutputs, (error) => logger.error({ err: error }, 'exec records could not be stored'));
  const exec: ExecService = new ExecService(pools, settings, recorder, () => metrics);
  const metrics: ExecMetrics = new ExecMetrics(registry, {
    languages: EXEC_LANGUAGES,
    spares: (language) => {
      const state = pools.get(language as (typeof EXEC_LANGUAGES)[number]);
      return 'template' in state && state.template.ready ? state.template.options.spares : 0;
    },
    queued: (language) => exec.load().queued[language as (typeof EXEC_LANGUAGES)[number]],
    running: () => exec.load().running,
  });
  if (settings.enabled) await pools.start();
  return {
    exec,
    stop: async () => {
      await pools.stop();
      await recorder.flush();
    },
  };
}
