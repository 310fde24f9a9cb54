import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { parseAllDocuments } from 'yaml';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const chart = 'deploy/helm/kith';
const valueSets = {
  default: [],
  production: ['-f', `${chart}/values-production.yaml`],
} as const;

/** Runs the real Helm (4.1.4, from the pinned npm package) through scripts/helm.mjs. */
function helm(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['scripts/helm.mjs', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Container {
  name: string;
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { name: string; containerPort: number }[];
}
interface PodSpec {
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; secret?: { secretName: string }; emptyDir?: unknown }[];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { kind: string; metadata: { name: string; annotations?: Record<string, string> } } & any;

function render(values: readonly string[]): Doc[] {
  const r = helm(['template', 'kith', chart, ...values]);
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

function podSpecs(docs: Doc[]): { owner: string; spec: PodSpec }[] {
  return docs.flatMap((d) => {
    if (d.kind === 'Deployment' || d.kind === 'Job')
      return [{ owner: `${d.kind}/${d.metadata.name}`, spec: d.spec.template.spec }];
    if (d.kind === 'Pod') return [{ owner: `Pod/${d.metadata.name}`, spec: d.spec }];
    return [];
  });
}

function firstContainer(spec: PodSpec): Container {
  const [container] = spec.containers;
  assert.ok(container, 'a container');
  return container;
}

function envOf(container: Container): Map<string, string | undefined> {
  return new Map((container.env ?? []).map((e) => [e.name, e.value]));
}

/** Seconds from the process's duration syntax as the chart writes it ('20s'). */
function seconds(value: string | undefined): number {
  const m = /^(\d+)s$/.exec(value ?? '');
  assert.ok(m, `expected a duration in seconds, got ${value}`);
  return Number(m[1]);
}

/** Every RPC service declared in proto/kith/<domain>/v1, by full name. */
/** Every public RPC service of the contracts; `*InternalService` is NATS-only, never routed. */
function protoServices(): { fullName: string; domain: string }[] {
  const root = path.join(repoRoot, 'proto/kith');
  return fs.readdirSync(root).flatMap((domain) => {
    const dir = path.join(root, domain, 'v1');
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.proto'))
      .flatMap((f) =>
        [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/^service (\w+) \{/gm)]
          .filter((m) => !m[1]!.endsWith('InternalService'))
          .map((m) => ({ fullName: `kith.${domain}.v1.${m[1]}`, domain })),
      );
  });
}

// Variables that hold credentials: they may only arrive as *_FILE paths from a Secret.
const SECRET_ENV =
  /^(DATABASE_URL|DATABASE_MIGRATION_URL|REDIS_URL|SMTP_URL|PAGE_TOKEN_SECRET|NATS_USER|NATS_PASSWORD|AUTH_KEY_ENCRYPTION_KEY)$|SECRET|PASSWORD|TOKEN/;

describe('the Helm chart', () => {
  for (const [label, values] of Object.entries(valueSets)) {
    describe(`with ${label} values`, () => {
      const docs = render(values);
      const deployments = docs.filter((d) => d.kind === 'Deployment');
      const named = (kind: string, name: string) =>
        docs.find((d) => d.kind === kind && d.metadata.name === name);

      test('passes helm lint', () => {
        const r = helm(['lint', chart, ...values]);
        assert.equal(r.status, 0, r.stdout + r.stderr);
      });

      test('runs every container as non-root on a read-only root filesystem with limits', () => {
        const specs = podSpecs(docs);
        assert.ok(specs.length >= deployments.length && deployments.length > 0);
        for (const { owner, spec } of specs) {
          const pod = spec.securityContext ?? {};
          assert.equal(pod.runAsNonRoot, true, owner);
          assert.ok(Number(pod.runAsUser) > 0, `${owner} runAsUser`);
          assert.deepEqual(pod.seccompProfile, { type: 'RuntimeDefault' }, owner);
          for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
            const where = `${owner}/${c.name}`;
            assert.equal(c.securityContext?.runAsNonRoot, true, where);
            assert.equal(c.securityContext?.readOnlyRootFilesystem, true, where);
            assert.equal(c.securityContext?.allowPrivilegeEscalation, false, where);
            assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], where);
            assert.ok(c.resources?.limits?.memory && c.resources.limits.cpu, `${where} limits`);
            assert.ok(c.resources?.requests?.memory && c.resources.requests.cpu, where);
          }
        }
      });

      test('gives the post service, which runs ffmpeg on uploads, its own limits and a /tmp on disk', () => {
        const post = named('Deployment', 'kith-post').spec.template.spec;
        assert.equal(post.containers[0].resources.limits.memory, '1536Mi');
        const tmpOf = (spec: PodSpec) => spec.volumes?.find((v) => v.name === 'tmp')?.emptyDir;
        assert.deepEqual(tmpOf(post), { sizeLimit: '512Mi' });
        // Everyone else keeps a small /tmp in memory.
        const user = named('Deployment', 'kith-user').spec.template.spec;
        assert.deepEqual(tmpOf(user), { medium: 'Memory', sizeLimit: '64Mi' });
        assert.notEqual(user.containers[0].resources.limits.memory, '1536Mi');
      });

      test('probes every service: readiness on the admin port, liveness on the API port', () => {
        for (const d of deployments) {
          const c = firstContainer(d.spec.template.spec);
          const env = envOf(c);
          assert.equal(c.readinessProbe?.httpGet?.path, '/readyz', d.metadata.name);
          assert.equal(c.readinessProbe?.httpGet?.port, 'admin', d.metadata.name);
          assert.equal(c.livenessProbe?.httpGet?.path, '/healthz', d.metadata.name);
          const admin = c.ports?.find((p) => p.name === 'admin')?.containerPort;
          assert.equal(env.get('ADMIN_PORT'), String(admin), d.metadata.name);
          assert.notEqual(env.get('ADMIN_PORT'), env.get('PORT'));
        }
      });

      test('renders no Secret and no credential inline: each service reads its own Secret', () => {
        assert.deepEqual(
          docs.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name),
          [],
        );
        const secretNames = new Set<string>();
        for (const { owner, spec } of podSpecs(docs)) {
          for (const c of spec.containers) {
            for (const e of c.env ?? []) {
              if (e.name.endsWith('_FILE')) {
                assert.match(e.value ?? '', /^\/var\/run\/secrets\//, `${owner} ${e.name}`);
              } else if (SECRET_ENV.test(e.name)) {
                assert.fail(`${owner}: ${e.name} set inline`);
              }
              assert.doesNotMatch(e.value ?? '', /:\/\/[^/\s@]+:[^/\s@]+@/, `${owner} ${e.name}`);
            }
          }
          const secret = spec.volumes?.find((v) => v.secret)?.secret?.secretName;
          if (owner.startsWith('Deployment/')) {
            assert.ok(secret, `${owner} mounts its Secret`);
            secretNames.add(secret);
            const env = envOf(firstContainer(spec));
            for (const key of [
              'DATABASE_URL',
              'PAGE_TOKEN_SECRET',
              'NATS_USER',
              'NATS_PASSWORD',
              'REDIS_URL',
            ]) {
              assert.match(env.get(`${key}_FILE`) ?? '', /^\/var\/run\/secrets\//, owner);
            }
            assert.equal(env.has('DATABASE_MIGRATION_URL_FILE'), false, owner);
          }
          if (owner.startsWith('Job/')) {
            const env = envOf(firstContainer(spec));
            assert.ok(env.has('DATABASE_MIGRATION_URL_FILE'), owner);
          }
        }
        assert.equal(secretNames.size, deployments.length, 'one Secret per service');
      });

      test('shutdown fits in the grace period: preStop sleep, then drain delay and drain', () => {
        for (const d of deployments) {
          const spec = d.spec.template.spec as PodSpec;
          const c = firstContainer(spec);
          const env = envOf(c);
          const command = c.lifecycle?.preStop?.exec?.command ?? [];
          assert.equal(command[0], 'sleep', d.metadata.name);
          const preStop = Number(command[1]);
          const grace = spec.terminationGracePeriodSeconds ?? 30;
          const processGrace = seconds(env.get('SHUTDOWN_GRACE'));
          const drainDelay = seconds(env.get('SHUTDOWN_DRAIN_DELAY'));
          assert.ok(preStop > 0 && preStop < grace, `${d.metadata.name}: preStop ${preStop}s`);
          // Kubernetes kills at `grace` counted from the start of preStop.
          assert.ok(preStop + processGrace < grace, `${d.metadata.name}: drain outlives grace`);
          assert.ok(drainDelay < processGrace, `${d.metadata.name}: drain delay ≥ grace`);
        }
      });

      test('trusts X-Forwarded-For for the ingress hop only', () => {
        for (const d of deployments) {
          const env = envOf(firstContainer(d.spec.template.spec));
          assert.equal(env.get('TRUST_PROXY'), '1', d.metadata.name);
        }
        if (label === 'production') {
          const env = envOf(firstContainer(deployments[0].spec.template.spec));
          assert.equal(env.get('TRUST_PROXY_CIDRS'), '10.244.0.0/16');
        }
      });

      test('routes every RPC service prefix and /ws through the Ingress, on the API port only', () => {
        const ingress = named('Ingress', 'kith-kith');
        assert.ok(ingress, 'an Ingress');
        const paths = (
          ingress.spec.rules[0].http.paths as {
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { name: string } } };
          }[]
        ).map((p) => ({ path: p.path, to: p.backend.service.name, port: p.backend.service.port }));
        const expected = [
          ...protoServices().map((s) => ({
            path: `/${s.fullName}`,
            to: `kith-${s.domain}`,
            port: { name: 'http' },
          })),
          { path: '/ws', to: 'kith-gateway', port: { name: 'http' } },
        ];
        const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
        assert.deepEqual(paths.sort(byPath), expected.sort(byPath));
        assert.ok(!paths.some((p) => p.path.includes('InternalService')), 'internal RPCs unrouted');
      });

      test('gives every Deployment an autoscaler and a disruption budget', () => {
        for (const d of deployments) {
          const hpa = named('HorizontalPodAutoscaler', d.metadata.name);
          assert.equal(hpa?.spec.scaleTargetRef.name, d.metadata.name);
          assert.ok(hpa.spec.maxReplicas >= hpa.spec.minReplicas);
          const pdb = named('PodDisruptionBudget', d.metadata.name);
          assert.deepEqual(
            pdb?.spec.selector.matchLabels,
            d.spec.selector.matchLabels,
            d.metadata.name,
          );
        }
      });

      test('limits traffic with a NetworkPolicy in both directions', () => {
        const policy = named('NetworkPolicy', 'kith-kith');
        assert.deepEqual(policy?.spec.policyTypes, ['Ingress', 'Egress']);
        const egressPorts = (policy.spec.egress as { ports: { port: number }[] }[]).flatMap((r) =>
          r.ports.map((p) => p.port),
        );
        for (const port of [53, 5432, 4222, 6379, 443, 587]) {
          assert.ok(egressPorts.includes(port), `egress to port ${port}`);
        }
        const apiFrom = (policy.spec.ingress as { ports: { port: string }[] }[]).filter((r) =>
          r.ports.some((p) => p.port === 'http'),
        );
        assert.equal(apiFrom.length, 2, 'the API port: ingress controller and the release only');
      });

      test('has a helm test hook that checks readiness and calls one RPC', () => {
        const hooks = docs.filter((d) => d.metadata.annotations?.['helm.sh/hook'] === 'test');
        assert.equal(hooks.length, 1);
        const env = envOf(firstContainer(hooks[0].spec));
        assert.equal(env.get('READY_URLS')?.split(' ').length, deployments.length);
        assert.match(env.get('RPC_URL') ?? '', /\/kith\.user\.v1\.UserService\/GetProfiles$/);
      });

      if (label === 'production') {
        test('scrapes metrics on the admin port with a ServiceMonitor', () => {
          const monitor = named('ServiceMonitor', 'kith-kith');
          assert.equal(monitor?.spec.endpoints[0].port, 'admin');
        });
      }
    });
  }

  test('values.schema.json refuses credentials in env and a mistyped grace', () => {
    const inline = helm(['template', 'kith', chart, '--set', 'env.REDIS_URL=redis://r:6379']);
    assert.notEqual(inline.status, 0);
    const mistyped = helm(['template', 'kith', chart, '--set', 'shutdown.graceSeconds=soon']);
    assert.notEqual(mistyped.status, 0);
    assert.match(mistyped.stderr, /graceSeconds/);
  });
});
