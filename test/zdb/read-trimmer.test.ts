/**
 * ReadTrimmer decides which page-cache ranges to drop behind sequential readers: runs of
 * values read in file order (with record headers between them, or a value read in pieces)
 * drop what lies more than a few MiB behind the reader, in steps; random reads drop nothing.
 */
import { expect, test } from "bun:test";
import type { PageCacheJob } from "../../src/platform/page-cache.ts";
import { ReadTrimmer, trimStepBytes } from "../../src/zdb/page-trim.ts";

const value = 32 * 1024;
const recordGap = 40; // header + key between two values in a data file
const valuesPerRun = (4 * trimStepBytes) / value;

function trimmer(enabled = true) {
  const jobs: PageCacheJob[] = [];
  return { trim: new ReadTrimmer(enabled, (job) => jobs.push(job)), jobs };
}

/** The dropped ranges of `fd`, checked to follow each other without gaps or overlap. */
function dropped(jobs: PageCacheJob[], fd: number): { from: number; to: number } {
  const mine = jobs.filter((j) => j.fd === fd);
  for (const job of mine) expect([job.writebackLength, job.dropLength > 0]).toEqual([0, true]);
  for (let i = 1; i < mine.length; i++) {
    const before = mine[i - 1] as PageCacheJob;
    expect((mine[i] as PageCacheJob).dropFrom).toBe(before.dropFrom + before.dropLength);
  }
  const last = mine[mine.length - 1];
  return { from: mine[0]?.dropFrom ?? 0, to: last ? last.dropFrom + last.dropLength : 0 };
}

const offsetOf = (i: number) => 100 + i * (value + recordGap);

test("a sequential reader drops behind itself in steps, keeping the last MiBs", () => {
  const { trim, jobs } = trimmer();
  for (let i = 0; i < valuesPerRun; i++) trim.read(7, offsetOf(i), value);
  expect(jobs.length).toBeGreaterThanOrEqual(3);
  const { from, to } = dropped(jobs, 7);
  const readEnd = offsetOf(valuesPerRun - 1) + value;
  expect(from).toBe(offsetOf(0));
  expect(readEnd - to).toBeGreaterThanOrEqual(4 * 1024 * 1024); // the tail stays cached
  expect(readEnd - to).toBeLessThan(4 * 1024 * 1024 + trimStepBytes);
});

test("a value read in pieces, and two files read at once, still form runs", () => {
  const { trim, jobs } = trimmer();
  for (let i = 0; i < valuesPerRun; i++) {
    for (let piece = 0; piece < 8; piece++) {
      trim.read(7, offsetOf(i), value); // each small READ locates the whole value again
      trim.read(8, offsetOf(i) + piece * (value / 8), value / 8);
    }
  }
  expect(dropped(jobs, 7).to).toBeGreaterThan(2 * trimStepBytes);
  expect(dropped(jobs, 8).to).toBeGreaterThan(2 * trimStepBytes);
});

test("random reads, and a trimmer left disabled, drop nothing", () => {
  const random = trimmer();
  for (let i = 0; i < valuesPerRun; i++)
    random.trim.read(7, offsetOf((i * 7919) % valuesPerRun), value);
  expect(random.jobs).toEqual([]);
  const off = trimmer(false);
  for (let i = 0; i < valuesPerRun; i++) off.trim.read(7, offsetOf(i), value);
  expect(off.jobs).toEqual([]);
});
