import fs from 'node:fs/promises';
import path from 'node:path';
import type { PushAdapter, PushMessage, PushTarget, SendResult } from './types.js';

const PLATFORM_NAMES: Record<number, string> = { 1: 'apns', 2: 'fcm', 3: 'web_push' };

/**
 * Embedded mode with no provider configured: each push becomes a JSON file under
 * `<dataDir>/push/` (the data dir is private to its owner). The file names the device, never
 * its token.
 */
export function filePushAdapter(dataDir: string, clock: () => Date): PushAdapter {
  const dir = path.join(dataDir, 'push');
  return {
    async send(target: PushTarget, message: PushMessage): Promise<SendResult> {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const now = clock();
      const file = path.join(
        dir,
        `${now.toISOString().replace(/[:.]/g, '-')}-${message.deliveryId}.json`,
      );
      const record = {
        sent_at: now.toISOString(),
        platform: PLATFORM_NAMES[target.platform] ?? String(target.platform),
        device_id: target.deviceId,
        ...(target.apns ? { app_id: target.apns.appId } : {}),
        notification_id: message.notificationId,
        type: message.type,
        title: message.title,
        body: message.body,
        data: message.data,
        critical: message.critical,
        time_sensitive: message.timeSensitive,
      };
      await fs.writeFile(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      return { kind: 'ok' };
    },
  };
}
