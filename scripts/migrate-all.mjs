// Applies every service's migrations against DATABASE_URL (distributed mode).
import { spawnSync } from 'node:child_process';

for (const name of ['auth', 'user', 'post', 'circle', 'support', 'moderation', 'gateway']) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', `services/${name}/src/main.ts`, 'migrate'],
    {
      env: { ...process.env, KITH_MODE: 'distributed' },
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
