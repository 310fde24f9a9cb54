import assert from 'node:assert/strict';
import { test } from 'vitest';
import { kithServices } from './e2e/helpers.js';
import { allModules } from './modules.js';

const served = allModules.flatMap((module) => module.services.map((service) => service.typeName));

test('no module serves an internal contract over HTTP (they are NATS request/reply only)', () => {
  assert.deepEqual(
    served.filter((name) => name.endsWith('InternalService')),
    [],
  );
});

test('the e2e list of public services is exactly what the modules serve, each once', () => {
  assert.deepEqual([...served].sort(), [...kithServices].sort());
});
