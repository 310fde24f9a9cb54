import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { RateRuleEvent, RuleEffect, RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { codeOf, seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { moderationModule } from '../module.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [moderationModule] });
});
afterAll(() => h?.stop());

const words = {
  name: 'slurs',
  enabled: true,
  condition: { case: 'wordList' as const, value: { words: ['badword'], wholeWord: true } },
  effect: RuleEffect.REJECT,
  category: ReportCategory.HATE,
  scopes: [RuleScope.POST, RuleScope.REPLY],
};

test('rules: created at version 1, edited by field mask against the version read, deleted for good', async () => {
  const admin = await seedUser(h, { role: 'admin' });
  const console = createClient(ModerationAdminService, h.as(admin.accessToken).transport);
  const { rule } = await console.createRule({ rule: words });
  assert.equal(rule?.version, 1);
  assert.equal(rule?.createdByUserId, admin.userId);
  const rate = await console.createRule({
    rule: {
      name: 'link spam',
      enabled: false,
      condition: {
        case: 'rate',
        value: {
          maxEvents: 20,
          window: durationFromMs(600_000),
          event: RateRuleEvent.POST_CREATED,
          withLinksOnly: true,
        },
      },
      effect: RuleEffect.FLAG,
      category: ReportCategory.SPAM,
    },
  });

  const renamed = await console.updateRule({
    ruleId: rule!.ruleId,
    rule: { ...words, name: 'hate words' },
    updateMask: { paths: ['name'] },
    baseVersion: 1,
  });
  assert.equal(renamed.rule?.name, 'hate words');
  assert.equal(renamed.rule?.version, 2);
  assert.equal(
    await codeOf(
      console.updateRule({
        ruleId: rule!.ruleId,
        rule: { ...words, name: 'stale edit' },
        updateMask: { paths: ['name'] },
        baseVersion: 1,
      }),
    ),
    Code.Aborted,
  );
  // REJECT on a rate rule: the request's rule is valid alone, the merged one is not.
  assert.equal(
    await codeOf(
      console.updateRule({
        ruleId: rate.rule!.ruleId,
        rule: words,
        updateMask: { paths: ['effect'] },
        baseVersion: 1,
      }),
    ),
    Code.InvalidArgument,
  );

  const enabledOnly = await console.listRules({ enabledOnly: true });
  assert.ok(enabledOnly.rules.some((r) => r.ruleId === rule!.ruleId));
  assert.equal(
    enabledOnly.rules.some((r) => r.ruleId === rate.rule!.ruleId),
    false,
  );
  await console.deleteRule({ ruleId: rule!.ruleId });
  assert.equal(await codeOf(console.deleteRule({ ruleId: rule!.ruleId })), Code.NotFound);
  const all = await console.listRules({ pageSize: 100 });
  assert.equal(
    all.rules.some((r) => r.ruleId === rule!.ruleId),
    false,
  );

  const moderator = await seedUser(h, { role: 'moderator' });
  const modConsole = createClient(ModerationAdminService, h.as(moderator.accessToken).transport);
  assert.equal(await codeOf(modConsole.createRule({ rule: words })), Code.PermissionDenied);
  const triage = await seedUser(h, { role: 'triage' });
  const triageConsole = createClient(ModerationAdminService, h.as(triage.accessToken).transport);
  assert.ok((await triageConsole.listRules({})).rules.length >= 1, 'staff read the rules');
});
