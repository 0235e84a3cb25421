import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/*
 * The longest files start first. Without a cache of last run's times (a clean clone: CI),
 * vitest starts the largest files first, and chaos.test.ts is small: it started last and ran
 * 133 s while the other worker had finished. These ran longest in full runs (2026-12-01).
 */
const LONGEST = ['chaos', 'hub-deaths', 'one-id', 'dashboard-stop', 'dashboard-migrate'].map((name) => `${name}.test.ts`);

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.indexOf(basename(f.moduleId));
      return i < 0 ? LONGEST.length : i;
    };
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
