import type { Reporter, SerializedError, TestModule } from 'vitest/node';
import { closingLine, countResults } from './closing-line.js';

/** Ends every run with one plain line, `N passed, N failed, N skipped`, from vitest's results. */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ) {
    console.log(closingLine(countResults(modules, unhandledErrors.length)));
  }
}
