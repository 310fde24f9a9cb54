import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';

/** Categories of harm to a person that jump the queue (after anything SOS-related). */
const URGENT: readonly number[] = [
  ReportCategory.CHILD_SAFETY,
  ReportCategory.NCII,
  ReportCategory.SELF_HARM,
];

/**
 * A subject's computed queue priority (QueueItem.priority) in bands: SOS-related 90..100,
 * child safety, NCII and self-harm 70..89, the rest 0..69; within a band each further reporter
 * raises it (more people reporting = more likely real), capped at the band's top. The older
 * first report ranks higher among equals by the queue's order, not by this number.
 */
export function computedPriority(input: {
  sosRelated: boolean;
  categories: readonly number[];
  reporterCount: number;
}): number {
  const extra = Math.max(0, input.reporterCount - 1);
  if (input.sosRelated) return 90 + Math.min(10, extra);
  if (input.categories.some((c) => URGENT.includes(c))) return 70 + Math.min(19, extra * 2);
  return Math.min(69, 20 + extra * 5);
}
