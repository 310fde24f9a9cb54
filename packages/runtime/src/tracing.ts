import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { PlatformConfig } from '@kith/config';

/**
 * Code uses only the OpenTelemetry API, which is a no-op until a provider is registered. The
 * SDK and OTLP exporter are turned on by OTEL_EXPORTER_OTLP_ENDPOINT; otherwise nothing is
 * loaded into the hot path.
 */
export function startTracing(
  otel: PlatformConfig['otel'],
  serviceName: string,
): { shutdown(): Promise<void> } {
  if (!otel) return { shutdown: async () => {} };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `${otel.serviceName}-${serviceName}` }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otel.endpoint}/v1/traces` })),
    ],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
