import { accessSync, constants, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { detectSandboxHost } from '../process/sandbox-host.js';
import { NOBODY } from '../process/options.js';
import { prepareWorkRoot } from '../process/work-area.js';
import { WarmCgroup } from './warm-cgroup.js';
import { WarmTemplate, type TemplateMode } from './warm-template.js';

/** What a template's own process may use beside its sandboxes. */
const TEMPLATE_BYTES = 256 * 1024 * 1024;
/** Pools made in this process, for cgroup names unique across them (cgroups are host-wide). */
let instances = 0;

/** The languages snippets come in (`javascript` is Zeroboot's other name for node). */
export const EXEC_LANGUAGES = ['python', 'node'] as const;
export type ExecLanguage = (typeof EXEC_LANGUAGES)[number];

export interface WarmPoolSettings {
  python?: string;
  node?: string;
  pythonMode: TemplateMode;
  spares: Record<ExecLanguage, number>;
  memoryMb: number;
  tmpMb: number;
  pids: number;
  outputCapBytes: number;
  maxTimeoutSeconds: number;
  /** Snippets running at once per language (with the spares, what the pool's memory cap allows for). */
  maxRunning: number;
}

export interface WarmPoolLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** A language's template, or why there is none. */
export type PoolState = { template: WarmTemplate } | { problem: string };

/**
 * One warm template per language, each in its own bubblewrap sandbox as the
 * unprivileged task user (see docs/zeroboot.md). A language whose interpreter
 * or sandbox is missing stays unavailable and says why.
 */
export class WarmPools {
  private readonly pools = new Map<ExecLanguage, PoolState>();

  constructor(
    private readonly settings: WarmPoolSettings,
    private readonly workRoot: string,
    private readonly toolSearchPath: string,
    private readonly logger: WarmPoolLogger,
  ) {}

  async start(): Promise<void> {
    const isRoot = process.getuid?.() === 0;
    const host = detectSandboxHost('bwrap', { dropPrivileges: isRoot, searchPath: this.toolSearchPath });
    const python = this.settings.python ?? firstExecutable(['/usr/bin/python3', '/usr/local/bin/python3']);
    // The templates' directories are under the work root, which their user must be able to reach.
    const unreachable = prepareWorkRoot(this.workRoot, isRoot);
    for (const language of EXEC_LANGUAGES) {
      const problem =
        'error' in host
          ? `warm sandboxes need bubblewrap: ${host.error}`
          : python === undefined
            ? 'warm sandboxes need python3 (apt-get install python3), which runs their template'
            : unreachable;
      if (problem !== undefined || 'error' in host || python === undefined) {
        this.pools.set(language, { problem: problem! });
        continue;
      }
      const interpreter = language === 'python' ? python : (this.settings.node ?? nodeInterpreter());
      if (interpreter === undefined) {
        this.pools.set(language, { problem: 'no node interpreter found (set exec.node)' });
        continue;
      }
      const real = realpathSync(interpreter);
      const mode: TemplateMode = language === 'python' ? this.settings.pythonMode : 'exec';
      const memoryBytes = this.settings.memoryMb * 1024 * 1024;
      // Every sandbox at its cap at once, and the template itself: the whole pool's bound.
      const poolBytes = (this.settings.spares[language] + this.settings.maxRunning) * memoryBytes + TEMPLATE_BYTES;
      const cgroup = isRoot ? await WarmCgroup.create(`${process.pid}-warm-${language}-${++instances}`, poolBytes, { uid: NOBODY, gid: NOBODY }) : undefined;
      const template = new WarmTemplate({
        language,
        mode,
        python: realpathSync(python),
        argv: language === 'python' ? [real, '-I', '/tork/warm-template.py', '--run'] : [real, '/tork/node-bootstrap.cjs'],
        spares: this.settings.spares[language],
        memoryBytes,
        tmpBytes: this.settings.tmpMb * 1024 * 1024,
        pids: this.settings.pids,
        outputCapBytes: this.settings.outputCapBytes,
        maxTimeoutSeconds: this.settings.maxTimeoutSeconds,
        preload: ['traceback', 'json', 'math', 're', 'random', 'collections', 'itertools', 'functools', 'datetime'],
        host,
        runAs: isRoot ? { uid: NOBODY, gid: NOBODY } : undefined,
        dir: join(this.workRoot, 'warm', language),
        extraBinds: [...new Set([realpathSync(python), real].filter((path) => !path.startsWith('/usr/')).map((path) => dirname(dirname(path))))],
        logger: this.logger,
        cgroup,
      });
      this.pools.set(language, { template });
    }
    await Promise.all(
      [...this.pools.values()].map(async (state) => {
        if (!('template' in state)) return;
        await state.template.start();
        if (state.template.problem !== undefined) this.logger.warn({ language: state.template.options.language, problem: state.template.problem }, 'warm sandbox template did not start');
      }),
    );
  }

  get(language: ExecLanguage): PoolState {
    return this.pools.get(language) ?? { problem: 'snippets are turned off here (exec.enabled is false)' };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((state) => ('template' in state ? state.template.stop() : undefined)));
  }
}

function firstExecutable(paths: string[]): string | undefined {
  return paths.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Gantry's own node where the sandbox user can reach it, else a system one. */
function nodeInterpreter(): string | undefined {
  const own = realpathSync(process.execPath);
  if (own.startsWith('/usr/')) return own;
  return firstExecutable(['/usr/bin/node', '/usr/local/bin/node']);
}
