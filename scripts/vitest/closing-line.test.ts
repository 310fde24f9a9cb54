import assert from 'node:assert/strict';
import { test } from 'vitest';
import { closingLine, countResults } from './closing-line.js';
import type { ReportedSuite } from './closing-line.js';

const suite = (errors: unknown[] = []) => ({ errors: () => errors });
function reportedModule(
  states: string[],
  { errors = [] as unknown[], suiteErrors = [] as unknown[][] } = {},
): ReportedSuite {
  return {
    errors: () => errors,
    children: {
      allTests: () => states.map((state) => ({ result: () => ({ state }) })),
      allSuites: () => suiteErrors.map((e) => suite(e)),
    },
  };
}

test('tests are counted by the state vitest reported; a test still pending counts as failed', () => {
  const counts = countResults(
    [
      reportedModule(['passed', 'passed', 'skipped']),
      reportedModule(['failed', 'passed', 'pending']),
    ],
    0,
  );
  assert.deepEqual(counts, { passed: 3, failed: 2, skipped: 1 });
  assert.equal(closingLine(counts), '3 passed, 2 failed, 1 skipped');
});

test('a file that cannot load, a failing hook and an unhandled error each count as a failure', () => {
  const counts = countResults(
    [
      reportedModule([], { errors: [new Error('cannot load')] }),
      reportedModule(['skipped', 'skipped'], { suiteErrors: [[new Error('beforeAll')], []] }),
    ],
    1,
  );
  assert.deepEqual(counts, { passed: 0, failed: 3, skipped: 2 });
});
