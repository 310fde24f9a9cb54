import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, test } from 'vitest';

// Lints made-up files with the repository's own eslint.config.js, so what is checked is what
// `pnpm lint` enforces.
const repoRoot = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: repoRoot });

/** The import-boundary messages for `source` imported from the file at `filePath`. */
async function boundaryErrors(filePath: string, source: string) {
  const code = `import { thing } from '${source}';\nexport { thing };\n`;
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, filePath) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'kith/import-boundaries')
    .map((m) => m.message);
}

describe('import boundaries (kith/import-boundaries in eslint.config.js)', () => {
  test("a service's code never imports another service, by package name or by path", async () => {
    const byName = await boundaryErrors('services/post/src/feed/feed.ts', '@kith/user-service');
    assert.equal(byName.length, 1);
    assert.match(byName[0]!, /services\/post must not import services\/user/);

    const byPath = await boundaryErrors(
      'services/post/src/feed/feed.ts',
      '../../../user/src/module.js',
    );
    assert.equal(byPath.length, 1);
    assert.match(byPath[0]!, /services\/post must not import services\/user/);

    assert.equal(
      (await boundaryErrors('services/post/src/index.ts', '@kith/auth-service/testing')).length,
      1,
    );
  });

  test('packages never import a service', async () => {
    const errors = await boundaryErrors('packages/runtime/src/host.ts', '@kith/auth-service');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /packages\/runtime must not import services\/auth/);
    assert.equal(
      (await boundaryErrors('packages/runtime/src/host.ts', '../../../services/auth/src/index.js'))
        .length,
      1,
    );
  });

  test("a test may import what another service's package exports, by name or by path, and nothing else", async () => {
    const test = 'services/circle/src/module.test.ts';
    assert.deepEqual(await boundaryErrors(test, '@kith/user-service'), []);
    assert.deepEqual(await boundaryErrors(test, '@kith/auth-service/testing'), []);
    assert.deepEqual(await boundaryErrors(test, '../../auth/src/testing/index.js'), []);
    assert.deepEqual(await boundaryErrors(test, '../../support/src/index.js'), []);

    const intoAuth = await boundaryErrors(test, '../../auth/src/db/schema.js');
    assert.equal(intoAuth.length, 1);
    assert.match(intoAuth[0]!, /services\/circle must not reach into services\/auth/);
    assert.equal((await boundaryErrors(test, '../../support/src/module.js')).length, 1);
    assert.equal(
      (await boundaryErrors('services/circle/src/test-support.ts', '@kith/user-service')).length,
      1,
      'only test files',
    );
  });

  test('the embedded host composes every service; packages, own files and gen are free', async () => {
    assert.deepEqual(
      await boundaryErrors('services/embedded/src/modules.ts', '@kith/post-service'),
      [],
    );
    assert.deepEqual(
      await boundaryErrors('services/embedded/src/e2e/x.test.ts', '@kith/auth-service/testing'),
      [],
    );
    assert.deepEqual(await boundaryErrors('services/post/src/module.ts', '@kith/runtime'), []);
    assert.deepEqual(await boundaryErrors('services/post/src/module.ts', './feed/feed.js'), []);
    assert.deepEqual(
      await boundaryErrors('services/post/src/module.ts', '@kith/gen/kith/user/v1/user_pb.js'),
      [],
    );
  });
});
