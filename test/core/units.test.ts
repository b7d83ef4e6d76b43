import { describe, expect, it } from 'vitest';
import { parseCpus, parseGoDuration, parseMemoryBytes } from '../../src/core/units.js';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['300ms', 300],
    ['5s', 5_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['-1.5h', -5_400_000],
    ['+5s', 5_000],
    ['.5s', 500],
    ['1.s', 1_000],
    ['1h1m1s1ms', 3_661_001],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1000000ns', 1],
    ['1.5ns', 0.000001],
    ['2562047h', 2_562_047 * 3_600_000],
  ])('%s is %d ms', (text, millis) => {
    expect(parseGoDuration(text)).toBeCloseTo(millis, 9);
  });

  it.each([
    ['', 'it is empty'],
    ['-', 'it is empty'],
    ['5', '"5" has no unit'],
    ['1h30', '"30" has no unit'],
    ['s', 'each part must start with a number'],
    ['.s', 'each part must start with a number'],
    ['1d', 'unknown unit "d"'],
    ['1 s', 'unknown unit " s"'],
    ['1h 30m', 'unknown unit "h "'],
    ['1S', 'unknown unit "S"'],
    ['1sec', 'unknown unit "sec"'],
    ['abc', 'each part must start with a number'],
    ['2562048h', 'it is longer than about 292 years'],
  ])('refuses %j: %s', (text, reason) => {
    expect(() => parseGoDuration(text)).toThrow(`invalid duration "${text}": ${reason}`);
  });

  it('throws a plain Error', () => {
    expect(() => parseGoDuration('x')).toThrow(Error);
  });
});

describe('parseMemoryBytes (docker/go-units RAMInBytes)', () => {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  const GiB = 1024 * MiB;
  it.each([
    ['0', 0],
    ['1024', 1024],
    ['32b', 32],
    ['32B', 32],
    ['512k', 512 * KiB],
    ['512K', 512 * KiB],
    ['100m', 100 * MiB],
    ['100M', 100 * MiB],
    ['1g', GiB],
    ['1G', GiB],
    ['1gb', GiB],
    ['1GB', GiB],
    ['1GiB', GiB],
    ['1gib', GiB],
    ['1t', 1024 * GiB],
    ['1p', 1024 * 1024 * GiB],
    ['10MB', 10 * MiB],
    ['500KB', 500 * KiB],
    ['1.5g', 1.5 * GiB],
    ['.5k', 512],
    ['32.', 32],
    ['32.5 B', 32],
    ['10 MB', 10 * MiB],
    ['1 ', 1],
    ['1e3', 1000],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseMemoryBytes(text)).toBe(bytes);
  });

  it.each(['', ' 1', '1Gi', '1Mi', '1 gi', '-1', '1x', '1kbb', '1  m', 'm', '.', 'one', '1,5g', '1m '])('refuses %j', (text) => {
    expect(() => parseMemoryBytes(text)).toThrow(`invalid memory size "${text}"`);
  });

  it('refuses sizes beyond what a number can hold exactly', () => {
    expect(() => parseMemoryBytes('100000p')).toThrow('too large');
  });
});

describe('parseCpus (docker --cpus)', () => {
  it.each([
    ['2', 2],
    ['0.5', 0.5],
    ['.25', 0.25],
    ['1.', 1],
    ['0', 0],
    ['16', 16],
    ['0.000000001', 1e-9],
    ['1.500000000000', 1.5],
  ])('%j is %d', (text, cpus) => {
    expect(parseCpus(text)).toBe(cpus);
  });

  it.each(['', '.', '-1', '1/2', 'half', '1e2', ' 1', '1 ', '0x1'])('refuses %j', (text) => {
    expect(() => parseCpus(text)).toThrow(`invalid cpus "${text}"`);
  });

  it('refuses more precision than nano-CPUs', () => {
    expect(() => parseCpus('0.0000000001')).toThrow('too precise');
  });
});
