import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The post process's settings for S3 media storage on this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A real S3-protocol server (s3rver) on a free loopback port, with one bucket. */
export async function startS3(): Promise<TestS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-s3-'));
  const bucket = 'kith-media';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      POST_MEDIA_S3_BUCKET: bucket,
      POST_MEDIA_S3_ENDPOINT: endpoint,
      POST_MEDIA_S3_FORCE_PATH_STYLE: 'true',
      POST_MEDIA_S3_ACCESS_KEY_ID: 'S3RVER',
      POST_MEDIA_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async stop() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
