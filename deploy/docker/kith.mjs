// The image's entry point: `kith <service> [serve|migrate]` runs that service's bundle
// (services/<service>/dist/main.js, built by `pnpm build`) in this process.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const services = fs
  .readdirSync(path.join(root, 'services'))
  .filter((name) => fs.existsSync(path.join(root, 'services', name, 'dist/main.js')))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (name === undefined || !services.includes(name)) {
  console.error(`usage: kith <${services.join('|')}> [serve|migrate]`);
  process.exit(2);
}
const main = path.join(root, 'services', name, 'dist/main.js');
// The bundle reads its command from argv[2], as when started as `node main.js serve`.
process.argv = [process.argv[0], main, ...rest];
await import(pathToFileURL(main).href);
