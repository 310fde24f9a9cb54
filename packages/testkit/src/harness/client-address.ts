let counter = 0;

/**
 * A client address no other call in this process has used (10.0.0.0/8), so the per-address
 * limits of one test never touch another. A service harness trusts `X-Forwarded-For`.
 */
export function freshIp(): string {
  counter += 1;
  return `10.${(counter >> 16) & 255}.${(counter >> 8) & 255}.${counter & 255}`;
}
