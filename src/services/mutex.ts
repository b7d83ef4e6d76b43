/**
 * Runs async sections one at a time, in arrival order. The job engine uses it so
 * that two reports about the same job never interleave their read-modify-write.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
