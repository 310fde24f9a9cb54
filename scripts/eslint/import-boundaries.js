// ESLint rule `kith/import-boundaries`: a service never imports another service, and a package
// never imports a service — neither by package name (`@kith/user-service`) nor by a relative
// path into another service's folder. Services talk through events and RPC contracts; only a
// host (services/embedded) composes them. With `testsMayHostServices`, a test file may import
// another service's public entry points — what its package.json `exports` names (its module,
// its test harness) — by package name or by the path they point to, to host it beside its own.
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const kinds = ['packages', 'services'];

/** Every workspace folder under packages/ and services/: its package name, and the files its
 * `exports` point to (e.g. services/user/src/index.ts). Read once per lint run. */
let workspaceCache;
function workspace(root) {
  if (workspaceCache) return workspaceCache;
  const folders = [];
  for (const kind of kinds) {
    for (const dir of fs.readdirSync(path.join(root, kind))) {
      const manifest = path.join(root, kind, dir, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      const { name, exports = {} } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      const targets = typeof exports === 'string' ? [exports] : Object.values(exports);
      const entries = new Set(
        targets
          .filter((target) => typeof target === 'string')
          .map((target) => path.join(root, kind, dir, target)),
      );
      folders.push({ name, kind, dir, entries });
    }
  }
  workspaceCache = {
    byName: new Map(folders.map((f) => [f.name, f])),
    byFolder: new Map(folders.map((f) => [`${f.kind}/${f.dir}`, f])),
  };
  return workspaceCache;
}

/** The workspace folder a file lies in, if it is under packages/ or services/. */
function folderOf(file, root) {
  const [kind, dir, ...rest] = path.relative(root, file).split(path.sep);
  return kinds.includes(kind) && dir && rest.length > 0 ? { kind, dir } : undefined;
}

const packageName = (source) =>
  source
    .split('/')
    .slice(0, source.startsWith('@') ? 2 : 1)
    .join('/');

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'services never import other services; packages never import services' },
    schema: [
      {
        type: 'object',
        properties: {
          hosts: { type: 'array', items: { type: 'string' } },
          testsMayHostServices: { type: 'boolean' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      serviceImportsService:
        'services/{{from}} must not import services/{{to}} ("{{source}}"): services talk through events and RPC contracts; only a host (services/{{hosts}}) composes them.',
      testReachesIntoService:
        'services/{{from}} must not reach into services/{{to}} ("{{source}}"): a test may import only what its package.json exports (its module, its test harness).',
      packageImportsService:
        'packages/{{from}} must not import services/{{to}} ("{{source}}"): packages are shared by every service and know none of them.',
    },
  },
  create(context) {
    const { hosts = ['embedded'], testsMayHostServices = false } = context.options[0] ?? {};
    const from = folderOf(context.filename, repoRoot);
    if (!from || (from.kind === 'services' && hosts.includes(from.dir))) return {};
    const { byName, byFolder } = workspace(repoRoot);
    const isTest = /\.test\.[cm]?[jt]s$/.test(context.filename);

    /** A relative import names a source file; `./x.js` stands for `./x.ts`. */
    const isEntry = (folder, file) =>
      [file, file.replace(/\.js$/, '.ts')].some((candidate) => folder.entries.has(candidate));

    function check(node, source) {
      if (typeof source !== 'string') return;
      const relative = source.startsWith('.');
      const file = relative ? path.resolve(path.dirname(context.filename), source) : undefined;
      const inFolder = file && folderOf(file, repoRoot);
      const folder = file
        ? inFolder &&
          (byFolder.get(`${inFolder.kind}/${inFolder.dir}`) ?? { ...inFolder, entries: new Set() })
        : byName.get(packageName(source));
      if (!folder || folder.kind !== 'services') return;
      if (from.kind === 'services' && folder.dir === from.dir) return;
      const data = { from: from.dir, to: folder.dir, source, hosts: hosts.join(', services/') };
      if (from.kind === 'packages') {
        context.report({ node, messageId: 'packageImportsService', data });
        return;
      }
      if (!(isTest && testsMayHostServices)) {
        context.report({ node, messageId: 'serviceImportsService', data });
        return;
      }
      if (file && !isEntry(folder, file)) {
        context.report({ node, messageId: 'testReachesIntoService', data });
      }
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};
