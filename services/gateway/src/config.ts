import { envInt, loadEnv } from '@kith/config';
import { z } from 'zod';

const ONE_MIB = 1024 * 1024;

/** Gateway-only settings; the shared ones (origins, shutdown grace) come from PlatformConfig. */
export const gatewayEnvSchema = z.object({
  // A floor of 10 ms keeps a typo from turning heartbeats into a busy loop.
  GATEWAY_HEARTBEAT_MS: envInt({ min: 10, max: 600_000 }).default(30_000),
  GATEWAY_MAX_BUFFERED_BYTES: envInt({ min: 1024 }).default(ONE_MIB),
  // Tabs and devices of one person; far above that is a script holding sockets open.
  GATEWAY_MAX_SOCKETS_PER_USER: envInt({ min: 1, max: 10_000 }).default(16),
  GATEWAY_UPGRADES_PER_MINUTE: envInt({ min: 1, max: 1_000_000 }).default(120),
});

export interface GatewayConfig {
  heartbeatMs: number;
  maxBufferedBytes: number;
  maxSocketsPerUser: number;
  /** Per client address. */
  upgradesPerMinute: number;
}

/** Reads and validates the gateway's variables; throws ConfigError naming every problem. */
export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = loadEnv(gatewayEnvSchema, env);
  return {
    heartbeatMs: parsed.GATEWAY_HEARTBEAT_MS,
    maxBufferedBytes: parsed.GATEWAY_MAX_BUFFERED_BYTES,
    maxSocketsPerUser: parsed.GATEWAY_MAX_SOCKETS_PER_USER,
    upgradesPerMinute: parsed.GATEWAY_UPGRADES_PER_MINUTE,
  };
}
