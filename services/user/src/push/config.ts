import { createECDH } from 'node:crypto';
import { envBool, envDurationMs, envInt, envList, envUrl, loadEnv } from '@kith/config';
import { z } from 'zod';

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** Push settings; the platform's (mode, data dir) come from ctx.config. */
export const pushEnvSchema = z
  .object({
    KITH_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
    /** Off on replicas that must not send (the worker runs where it is on). */
    PUSH_WORKER_ENABLED: envBool().default(true),
    PUSH_WORKER_POLL: envDurationMs().default(1000),
    /** Attempts per delivery before it becomes a dead letter. */
    PUSH_MAX_ATTEMPTS: envInt({ min: 1, max: 20 }).default(6),
    /** First retry delay; doubled per attempt (with jitter) up to PUSH_RETRY_MAX. */
    PUSH_RETRY_BASE: envDurationMs().default(30_000),
    PUSH_RETRY_MAX: envDurationMs().default(3600_000),
    /** Devices kept per user; registering one more drops the least recently seen. */
    PUSH_MAX_DEVICES_PER_USER: envInt({ min: 1, max: 100 }).default(20),

    /** Web Push (RFC 8292): the VAPID key pair, base64url (65-byte public point, 32-byte key). */
    PUSH_VAPID_PUBLIC_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{87}$/)
      .optional(),
    PUSH_VAPID_PRIVATE_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/)
      .optional(),
    /** The `sub` of VAPID tokens: a mailto: or https: contact for push services. */
    PUSH_VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)/)
      .default('mailto:push@kith.local'),
    /**
     * Hosts (or parent domains) a Web Push subscription endpoint may be on: the browsers' push
     * services. The server POSTs to the endpoint, so anything else is refused. `*` allows any.
     */
    PUSH_WEB_PUSH_HOSTS: envList().default(() => [
      'fcm.googleapis.com',
      'push.services.mozilla.com',
      'push.apple.com',
      'notify.windows.com',
    ]),

    /** APNs token auth: the .p8 key (PEM), its key id and the team id. */
    PUSH_APNS_KEY: z.string().includes('PRIVATE KEY').optional(),
    PUSH_APNS_KEY_ID: z
      .string()
      .regex(/^[A-Z0-9]{10}$/)
      .optional(),
    PUSH_APNS_TEAM_ID: z
      .string()
      .regex(/^[A-Z0-9]{10}$/)
      .optional(),
    /** Bundle ids (APNs topics) devices may register for. */
    PUSH_APNS_APP_IDS: envList().default(() => []),
    PUSH_APNS_PRODUCTION_URL: envUrl({ protocols: ['https', 'http'] }).default(
      'https://api.push.apple.com',
    ),
    PUSH_APNS_SANDBOX_URL: envUrl({ protocols: ['https', 'http'] }).default(
      'https://api.sandbox.push.apple.com',
    ),

    /** FCM HTTP v1: the service account JSON (project_id, client_email, private_key). */
    PUSH_FCM_SERVICE_ACCOUNT: z.string().optional(),
    PUSH_FCM_URL: envUrl({ protocols: ['https', 'http'] }).default('https://fcm.googleapis.com'),
    /** Overrides the service account's token_uri. */
    PUSH_FCM_TOKEN_URL: envUrl({ protocols: ['https', 'http'] }).optional(),
  })
  .superRefine((env, ctx) => {
    const apns = [env.PUSH_APNS_KEY, env.PUSH_APNS_KEY_ID, env.PUSH_APNS_TEAM_ID];
    if (apns.some((v) => v !== undefined) && apns.some((v) => v === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUSH_APNS_KEY'],
        message: 'PUSH_APNS_KEY, PUSH_APNS_KEY_ID and PUSH_APNS_TEAM_ID go together',
      });
    }
    if (env.PUSH_APNS_KEY !== undefined && env.PUSH_APNS_APP_IDS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUSH_APNS_APP_IDS'],
        message: 'required with PUSH_APNS_KEY: the bundle ids devices register for',
      });
    }
    if ((env.PUSH_VAPID_PUBLIC_KEY === undefined) !== (env.PUSH_VAPID_PRIVATE_KEY === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUSH_VAPID_PRIVATE_KEY'],
        message: 'PUSH_VAPID_PUBLIC_KEY and PUSH_VAPID_PRIVATE_KEY go together',
      });
    }
    for (const key of [
      'PUSH_APNS_PRODUCTION_URL',
      'PUSH_APNS_SANDBOX_URL',
      'PUSH_FCM_URL',
    ] as const) {
      if (!secureOrLoopback(env[key])) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'must be https (http only to loopback)',
        });
      }
    }
    if (env.PUSH_FCM_SERVICE_ACCOUNT !== undefined) {
      const parsed = serviceAccountSchema.safeParse(safeJson(env.PUSH_FCM_SERVICE_ACCOUNT));
      if (!parsed.success) {
        ctx.addIssue({
          code: 'custom',
          path: ['PUSH_FCM_SERVICE_ACCOUNT'],
          message: 'expected a service account JSON with project_id, client_email and private_key',
        });
      }
    }
  });

const serviceAccountSchema = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(3),
  private_key: z.string().includes('PRIVATE KEY'),
  token_uri: z.url().optional(),
});

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or plain http to this machine (local protocol servers in tests and development). */
export function secureOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  return (
    parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))
  );
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export interface ApnsConfig {
  key: string;
  keyId: string;
  teamId: string;
  productionUrl: string;
  sandboxUrl: string;
}

export interface FcmConfig {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  tokenUrl: string;
  url: string;
}

export interface PushConfig {
  mode: 'embedded' | 'distributed';
  workerEnabled: boolean;
  workerPollMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxDevicesPerUser: number;
  /** Undefined when Web Push is not configured (distributed mode without keys). */
  vapid: VapidKeys | undefined;
  /** The VAPID keys came from the environment (not derived): Web Push is really configured. */
  vapidConfigured: boolean;
  webPushHosts: string[];
  apns: ApnsConfig | undefined;
  /** Bundle ids devices may register; empty with no APNs configured. */
  apnsAppIds: string[];
  fcm: FcmConfig | undefined;
}

/**
 * Reads the push settings. Embedded mode derives a stable VAPID key pair from the data dir's
 * secret (so a newcomer's browser subscriptions survive restarts); distributed mode takes it
 * from the environment or has no Web Push.
 */
export function loadPushConfig(
  env: NodeJS.ProcessEnv,
  derivedSecret: (purpose: string) => Buffer | undefined,
): PushConfig {
  const parsed = loadEnv(pushEnvSchema, env);
  // A PEM in one environment line often comes with its newlines escaped.
  const apnsKey = parsed.PUSH_APNS_KEY?.replace(/\\n/g, '\n');
  let vapid: VapidKeys | undefined;
  if (parsed.PUSH_VAPID_PUBLIC_KEY && parsed.PUSH_VAPID_PRIVATE_KEY) {
    vapid = {
      publicKey: parsed.PUSH_VAPID_PUBLIC_KEY,
      privateKey: parsed.PUSH_VAPID_PRIVATE_KEY,
      subject: parsed.PUSH_VAPID_SUBJECT,
    };
  } else {
    const seed = derivedSecret('push.vapid');
    if (seed) vapid = { ...vapidKeysFromSeed(seed), subject: parsed.PUSH_VAPID_SUBJECT };
  }
  const account = parsed.PUSH_FCM_SERVICE_ACCOUNT
    ? serviceAccountSchema.parse(JSON.parse(parsed.PUSH_FCM_SERVICE_ACCOUNT))
    : undefined;
  return {
    mode: parsed.KITH_MODE,
    workerEnabled: parsed.PUSH_WORKER_ENABLED,
    workerPollMs: parsed.PUSH_WORKER_POLL,
    maxAttempts: parsed.PUSH_MAX_ATTEMPTS,
    retryBaseMs: parsed.PUSH_RETRY_BASE,
    retryMaxMs: parsed.PUSH_RETRY_MAX,
    maxDevicesPerUser: parsed.PUSH_MAX_DEVICES_PER_USER,
    vapid,
    vapidConfigured: parsed.PUSH_VAPID_PUBLIC_KEY !== undefined,
    webPushHosts: parsed.PUSH_WEB_PUSH_HOSTS.map((host) => host.toLowerCase()),
    apns:
      parsed.PUSH_APNS_KEY && parsed.PUSH_APNS_KEY_ID && parsed.PUSH_APNS_TEAM_ID
        ? {
            key: apnsKey ?? parsed.PUSH_APNS_KEY,
            keyId: parsed.PUSH_APNS_KEY_ID,
            teamId: parsed.PUSH_APNS_TEAM_ID,
            productionUrl: parsed.PUSH_APNS_PRODUCTION_URL,
            sandboxUrl: parsed.PUSH_APNS_SANDBOX_URL,
          }
        : undefined,
    apnsAppIds: parsed.PUSH_APNS_APP_IDS,
    fcm: account
      ? {
          projectId: account.project_id,
          clientEmail: account.client_email,
          privateKey: account.private_key,
          tokenUrl:
            parsed.PUSH_FCM_TOKEN_URL ?? account.token_uri ?? 'https://oauth2.googleapis.com/token',
          url: parsed.PUSH_FCM_URL,
        }
      : undefined,
  };
}

/** A P-256 key pair whose private scalar is derived from `seed` (1 ≤ d < n). */
export function vapidKeysFromSeed(seed: Buffer): { publicKey: string; privateKey: string } {
  const d = (BigInt(`0x${seed.toString('hex')}`) % (P256_ORDER - 1n)) + 1n;
  const privateKey = Buffer.from(d.toString(16).padStart(64, '0'), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: privateKey.toString('base64url'),
  };
}
