// ESLint rule `kith/import-boundaries`: a service never imports another service, and a package
// never imports a service — neither by package name (`@kith/user-service`) nor by a relative
// path into another service's folder. Services talk through events and RPC contracts; only a
// host (services/embedded) composes them. Test files may host another service's public module
// beside their own (by package name, as the embedded host does) when `testsMayHostServices`.
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const kinds = ['packages', 'services'];

/** Package name → its workspace folder, e.g. '@kith/user-service' → { kind: 'services', dir: 'user' }. */
function workspaceByName(root) {
  const byName = new Map();
  for (const kind of kinds) {
    for (const dir of fs.readdirSync(path.join(root, kind))) {
      const manifest = path.join(root, kind, dir, 'package.json');
      if (fs.existsSync(manifest)) {
        byName.set(JSON.parse(fs.readFileSync(manifest, 'utf8')).name, { kind, dir });
      }
    }
  }
  return byName;
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
      relativeIntoService:
        'services/{{from}} must not reach into services/{{to}} by path ("{{source}}"); a test may host its public module by package name.',
      packageImportsService:
        'packages/{{from}} must not import services/{{to}} ("{{source}}"): packages are shared by every service and know none of them.',
    },
  },
  create(context) {
    const { hosts = ['embedded'], testsMayHostServices = false } = context.options[0] ?? {};
    const from = folderOf(context.filename, repoRoot);
    if (!from || (from.kind === 'services' && hosts.includes(from.dir))) return {};
    const byName = workspaceByName(repoRoot);
    const isTest = /\.test\.[cm]?[jt]s$/.test(context.filename);

    function check(node, source) {
      if (typeof source !== 'string') return;
      const relative = source.startsWith('.');
      const to = relative
        ? folderOf(path.resolve(path.dirname(context.filename), source), repoRoot)
        : byName.get(packageName(source));
      if (!to || to.kind !== 'services' || (from.kind === 'services' && to.dir === from.dir))
        return;
      const data = { from: from.dir, to: to.dir, source, hosts: hosts.join(', services/') };
      if (from.kind === 'packages')
        context.report({ node, messageId: 'packageImportsService', data });
      else if (relative && isTest && testsMayHostServices)
        context.report({ node, messageId: 'relativeIntoService', data });
      else if (!(isTest && testsMayHostServices))
        context.report({ node, messageId: 'serviceImportsService', data });
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};
