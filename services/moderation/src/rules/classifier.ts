// Client for the external content classifier, and the ClassifierRule evaluator.
//
// Wire format (one call per text):
//   POST <url>, Content-Type: application/json
//   request body:  { "text": string, "labels": string[] }
//   answer:        200, { "scores": { "<label>": number in 0..1, … } }
// Any other status, a body not of that shape, or no answer within the timeout is a failure.
//
// Every call runs under a timeout inside a circuit breaker (cockatiel): after N consecutive
// failures the breaker opens and calls are skipped without a request; after the cooldown one
// trial call is let through (half-open) and its outcome closes or reopens the breaker. A skipped
// or failed call never throws: it is `{ skipped: true, reason }`, the rule does not match, and
// onSkip is told (wire it to classifierMetrics(registry).skips).
import {
  ConsecutiveBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  TaskCancelledError,
  isBrokenCircuitError,
  timeout,
  wrap,
} from 'cockatiel';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ClassifierRule } from '@kith/gen/kith/moderation/v1/rules_pb.js';

export type ClassifierSkipReason =
  'breaker_open' | 'timeout' | 'http_error' | 'bad_response' | 'network_error';

export type ClassifierScores = Readonly<Record<string, number>>;

export type ClassifierResult =
  { skipped: false; scores: ClassifierScores } | { skipped: true; reason: ClassifierSkipReason };

export interface ClassifierOptions {
  url: string;
  /** Per call, including reading the answer. Default 500 ms. */
  timeoutMs?: number;
  /** Consecutive failures that open the breaker. Default 5. */
  failuresToOpen?: number;
  /** How long the breaker stays open before a trial call. Default 30 s. */
  cooldownMs?: number;
  onSkip?: (reason: ClassifierSkipReason) => void;
}

export interface Classifier {
  classify(text: string, labels: readonly string[]): Promise<ClassifierResult>;
}

const AnswerSchema = z.object({ scores: z.record(z.string(), z.number().min(0).max(1)) });

class ClassifierFailure extends Error {
  constructor(readonly reason: ClassifierSkipReason) {
    super(`classifier call failed: ${reason}`);
  }
}

export function createClassifier(options: ClassifierOptions): Classifier {
  const breaker = circuitBreaker(handleAll, {
    breaker: new ConsecutiveBreaker(options.failuresToOpen ?? 5),
    halfOpenAfter: options.cooldownMs ?? 30_000,
  });
  const policy = wrap(breaker, timeout(options.timeoutMs ?? 500, TimeoutStrategy.Aggressive));

  const skip = (reason: ClassifierSkipReason): ClassifierResult => {
    try {
      options.onSkip?.(reason);
    } catch {
      // A failing metric must not turn a skip into an error for the caller.
    }
    return { skipped: true, reason };
  };

  return {
    async classify(text, labels) {
      try {
        const scores = await policy.execute(({ signal }) =>
          post(options.url, text, labels, signal),
        );
        return { skipped: false, scores };
      } catch (error) {
        if (isBrokenCircuitError(error)) return skip('breaker_open');
        // Not isTaskCancelledError: in cockatiel 3.2.1 it tests for the bulkhead error's flag.
        if (error instanceof TaskCancelledError) return skip('timeout');
        if (error instanceof ClassifierFailure) return skip(error.reason);
        return skip('network_error');
      }
    },
  };
}

async function post(
  url: string,
  text: string,
  labels: readonly string[],
  signal: AbortSignal,
): Promise<ClassifierScores> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, labels }),
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new ClassifierFailure('http_error');
    }
    const answer = AnswerSchema.safeParse(await response.json().catch(() => undefined));
    if (!answer.success) throw new ClassifierFailure('bad_response');
    return answer.data.scores;
  } catch (error) {
    // The timeout aborts the signal; fetch then rejects before cockatiel reports the timeout.
    if (signal.aborted) throw new ClassifierFailure('timeout');
    throw error;
  }
}

/** The skip counter, on the service's registry (found by name if already registered). */
export function classifierMetrics(registry: Registry): { skips: Counter<'reason'> } {
  const name = 'kith_moderation_classifier_skips_total';
  const existing = registry.getSingleMetric(name);
  const skips =
    (existing as Counter<'reason'> | undefined) ??
    new Counter({
      name,
      help: 'Classifier calls skipped (breaker open, timeout or failure), by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
  return { skips };
}

/**
 * A classifier rule's match detail ("toxicity 0.93") when the label's score reaches the
 * threshold, else undefined. Both are compared as float32, the threshold's wire type, so a
 * threshold of 0.9 behaves the same before and after a round trip through protobuf.
 */
export function classifierMatch(
  rule: Pick<ClassifierRule, 'label' | 'threshold'>,
  scores: ClassifierScores,
): string | undefined {
  const score = Object.hasOwn(scores, rule.label) ? scores[rule.label] : undefined;
  if (typeof score !== 'number' || Math.fround(score) < Math.fround(rule.threshold)) {
    return undefined;
  }
  return `${rule.label} ${score.toFixed(2)}`;
}
