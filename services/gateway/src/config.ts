import { envInt, loadEnv } from '@kith/config';
import { z } from 'zod';

const ONE_MIB = 1024 * 1024;

/** Gateway-only settings; the shared ones (origins, shutdown grace) come from PlatformConfig. */
export const gatewayEnvSchema = z.object({
  // A floor of 10 ms keeps a typo from turning heartbeats into a busy loop.
  GATEWAY_HEARTBEAT_MS: envInt({ min: 10, max: 600_000 }).default(30_000),
  GATEWAY_MAX_BUFFERED_BYTES: envInt({ min: 1024 }).default(ONE_MIB),
});

export interface GatewayConfig {
  heartbeatMs: number;
  maxBufferedBytes: number;
}

/** Reads and validates the gateway's variables; throws ConfigError naming every problem. */
export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = loadEnv(gatewayEnvSchema, env);
  return {
    heartbeatMs: parsed.GATEWAY_HEARTBEAT_MS,
    maxBufferedBytes: parsed.GATEWAY_MAX_BUFFERED_BYTES,
  };
}
