import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { imageRoot, type RootEntry, type SandboxHost } from './sandbox-host.js';
import { isWithin } from './tork-layout.js';

/**
 * The read-only root a step sees: the host's userland, or the root file system
 * configured for its image. An image's top level is listed once and remembered.
 */
export class RootCatalog {
  private readonly cache = new Map<string, RootEntry[]>();

  constructor(
    private readonly host: SandboxHost,
    private readonly images: Record<string, string>,
  ) {}

  /** The image's root file system directory, when one is configured. */
  rootfsOf(image: string | undefined): string | undefined {
    return image ? this.images[image] : undefined;
  }

  /** Root entries for a step; throws when an image's directory cannot be read. */
  entries(image: string | undefined, network: boolean): RootEntry[] {
    const rootfs = this.rootfsOf(image);
    if (!rootfs) return network ? [...this.host.userland, ...this.host.networkEtc] : this.host.userland;
    const key = `${rootfs}\0${network}`;
    let entries = this.cache.get(key);
    if (!entries) {
      entries = imageRoot(rootfs);
      // With the network, the host's resolver settings, over files the image has (as Docker does).
      if (network) entries.push(...this.host.networkEtc.filter((entry) => existsSync(join(rootfs, entry.target))));
      this.cache.set(key, entries);
    }
    return entries;
  }

  /** Whether a directory exists in a step's root (where the task could use it as its working directory). */
  hasDirectory(image: string | undefined, path: string): boolean {
    const rootfs = this.rootfsOf(image);
    if (rootfs) return existsSync(join(rootfs, path));
    return this.host.userland.some((entry) => entry.kind === 'ro-bind' && !entry.file && isWithin(path, entry.target)) && existsSync(path);
  }
}
