import { cpus } from 'node:os';

/** Host cpu use in percent since the previous sample (all cores together). */
export class CpuSampler {
  private last = CpuSampler.read();

  private static read(): { idle: number; total: number } {
    let idle = 0;
    let total = 0;
    for (const cpu of cpus()) {
      const t = cpu.times;
      idle += t.idle;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
    }
    return { idle, total };
  }

  sample(): number {
    const now = CpuSampler.read();
    const total = now.total - this.last.total;
    const idle = now.idle - this.last.idle;
    this.last = now;
    return total > 0 ? Math.max(0, Math.min(100, (1 - idle / total) * 100)) : 0;
  }
}
