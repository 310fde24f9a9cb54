import type { RateLimiter } from '@kith/cache';
import type { Database, PageTokenCodec } from '@kith/db';
import type { Logger } from '@kith/logging';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { UserInternalService } from '@kith/gen/kith/user/v1/internal_pb.js';
import { internalClient, serviceEvents } from '@kith/runtime';
import type { EventPayload, InternalClient, ServiceContext } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationDatabase } from './db/schema.js';
import type { Classifier } from './rules/classifier.js';
import { classifierFromEnv } from './rules/engine.js';
import { enabledRules } from './rules/rule-store.js';
import type { RuleRow } from './rules/rule-store.js';

/** How long a process keeps the enabled rules before reading them again. */
export const RULES_FRESH_MS = 1000;

/** Reports one person may file per hour (a mass-reporting rate rule may flag fewer). */
export const REPORTS_PER_HOUR = 60;

/** The services moderation asks for content snapshots (each with a timeout and a breaker). */
export interface ModerationClients {
  user: InternalClient<typeof UserInternalService>;
  post: InternalClient<typeof PostInternalService>;
  circle: InternalClient<typeof CircleInternalService>;
  support: InternalClient<typeof SupportInternalService>;
}

/** Everything the moderation handlers use, built once per process (the composition root). */
export interface ModerationApp {
  ctx: ServiceContext<ModerationDatabase>;
  database: Database<ModerationDatabase>;
  clock: () => Date;
  logger: Logger;
  pageTokens: PageTokenCodec;
  clients: ModerationClients;
  /** The external classifier (MODERATION_CLASSIFIER_URL); null when none is configured. */
  classifier: Classifier | null;
  /** Reports per reporter and hour. */
  reportLimiter: RateLimiter;
  /**
   * The enabled rules, read at most once a second per process (another replica's edit reaches
   * this one within that), and at once after this process changed one.
   */
  enabledRules(): Promise<RuleRow[]>;
  rulesChanged(): void;
  /** Records a domain event in the transaction (outbox); `actorId` null: moderation itself. */
  emit(
    trx: Kysely<ModerationDatabase>,
    actorId: string | null,
    payload: EventPayload,
  ): Promise<string>;
}

export function createModerationApp(
  ctx: ServiceContext<ModerationDatabase>,
  overrides: { clients?: Partial<ModerationClients>; classifier?: Classifier | null } = {},
): ModerationApp {
  if (!ctx.database) throw new Error('moderation needs its database');
  const options = { timeoutMs: 2000 };
  const database = ctx.database;
  let cached: { at: number; rules: Promise<RuleRow[]> } | undefined;
  return {
    ctx,
    database: ctx.database,
    clock: ctx.clock,
    logger: ctx.logger,
    pageTokens: ctx.pageTokens,
    clients: {
      user: internalClient(ctx.bus, UserInternalService, options),
      post: internalClient(ctx.bus, PostInternalService, options),
      circle: internalClient(ctx.bus, CircleInternalService, options),
      support: internalClient(ctx.bus, SupportInternalService, options),
      ...overrides.clients,
    },
    classifier:
      overrides.classifier !== undefined
        ? overrides.classifier
        : classifierFromEnv(ctx.env, ctx.metrics),
    reportLimiter: ctx.rateLimiter({
      keyPrefix: 'moderation:reports',
      points: REPORTS_PER_HOUR,
      durationSec: 3600,
    }),
    enabledRules() {
      const now = Date.now();
      if (!cached || now - cached.at >= RULES_FRESH_MS) {
        cached = { at: now, rules: enabledRules(database.db) };
        cached.rules.catch(() => (cached = undefined));
      }
      return cached.rules;
    },
    rulesChanged() {
      cached = undefined;
    },
    emit: serviceEvents('moderation', ctx.clock).emit,
  };
}
