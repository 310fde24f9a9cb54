import type { PlatformConfig } from '@kith/config';

/**
 * Settings that are legal but probably wrong for where the process runs, logged once at start.
 * Behind an ingress without TRUST_PROXY every client shares the proxy's address, so one client
 * can exhaust the per-address limits (logins, upgrades) for everyone.
 */
export function startupWarnings(config: PlatformConfig): string[] {
  const warnings: string[] = [];
  const { trustProxy, trustProxyCidrs } = config.http;
  if (config.nodeEnv === 'production' && trustProxy === false && trustProxyCidrs.length === 0) {
    warnings.push(
      'TRUST_PROXY is unset in production: behind a proxy every client shares its address, ' +
        'so per-address limits apply to all clients at once (set TRUST_PROXY or TRUST_PROXY_CIDRS)',
    );
  }
  return warnings;
}
