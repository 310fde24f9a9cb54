import type { UserApp, UserAreaParts } from '../app.js';
import { notificationConsumers } from './consumers.js';
import { notificationHandlers } from './handlers.js';

/** The notifications area: the inbox and preferences RPCs and the consumers that fill the inbox. */
export function notificationsParts(app: UserApp): UserAreaParts {
  const mail = app.notificationMail;
  return {
    notification: notificationHandlers(app),
    consumers: notificationConsumers(app),
    daemons: mail
      ? [
          {
            name: 'user:mail-relay',
            start: () => mail.relay.start(),
            stop: () => mail.relay.stop(),
          },
        ]
      : [],
    close: mail ? () => mail.mailer.close() : undefined,
  };
}
