export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** The parts of vitest's reported modules and suites the count reads (`TestModule` has them). */
export interface ReportedSuite {
  errors(): ReadonlyArray<unknown>;
  readonly children: {
    allTests(): Iterable<{ result(): { state: string } }>;
    allSuites(): Iterable<{ errors(): ReadonlyArray<unknown> }>;
  };
}

/**
 * Counts what vitest reported. A test is passed, failed or skipped (skip, todo, `ctx.skip()`);
 * one still pending when the run ended counts as failed. Failures outside any test — a file
 * that cannot load, a failing beforeAll/afterAll, an error after the tests ended — count once
 * per file or suite that holds them, so a broken file never shows as `0 failed`.
 */
export function countResults(modules: Iterable<ReportedSuite>, unhandledErrors: number): RunCounts {
  const counts: RunCounts = { passed: 0, failed: unhandledErrors, skipped: 0 };
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      const { state } = test.result();
      if (state === 'passed') counts.passed++;
      else if (state === 'skipped') counts.skipped++;
      else counts.failed++;
    }
    for (const suite of [module, ...module.children.allSuites()]) {
      if (suite.errors().length > 0) counts.failed++;
    }
  }
  return counts;
}

export function closingLine({ passed, failed, skipped }: RunCounts): string {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
