import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';

// One migration style for every service: `src/migrations/<key>.ts` exports one `Migration`,
// and `src/migrations/index.ts` lists it under that same key, so the file a reviewer opens and
// the row in `_migrations` carry one name.
const repoRoot = path.resolve(import.meta.dirname, '../..');
const servicesDir = path.join(repoRoot, 'services');
const services = readdirSync(servicesDir).filter((name) =>
  existsSync(path.join(servicesDir, name, 'src/migrations/index.ts')),
);

test('at least the auth and user services keep migrations', () => {
  assert.ok(services.includes('auth') && services.includes('user'), services.join(','));
});

for (const service of services) {
  test(`${service}: every migration file is named after its key and exports a Migration`, () => {
    const dir = path.join(servicesDir, service, 'src/migrations');
    const index = readFileSync(path.join(dir, 'index.ts'), 'utf8');
    const fileOf = new Map<string, string>();
    for (const m of index.matchAll(/import \{ (\w+) \} from '\.\/([\w-]+)\.js';/g)) {
      fileOf.set(m[1]!, m[2]!);
    }
    const entries = [...index.matchAll(/^\s+'(\w+)': (\w+),$/gm)].map((m) => ({
      key: m[1]!,
      binding: m[2]!,
    }));
    assert.ok(entries.length > 0, `${service}: no migrations listed in index.ts`);
    for (const { key, binding } of entries) {
      assert.equal(
        fileOf.get(binding),
        key,
        `${service}: ${binding} lives in a file named ${key}.ts`,
      );
      const source = readFileSync(path.join(dir, `${key}.ts`), 'utf8');
      assert.match(source, new RegExp(`export const ${binding}: Migration = \\{`));
    }
    const files = readdirSync(dir).filter((f) => f !== 'index.ts' && !f.endsWith('.test.ts'));
    assert.deepEqual(
      files.map((f) => f.replace(/\.ts$/, '')).sort(),
      entries.map((e) => e.key).sort(),
      `${service}: every file in migrations/ is listed, and nothing else`,
    );
  });
}
