/** The export bucket lives in @kith/runtime: every participating service writes its part there. */
export { assertBlobKey, filesystemBlobStorage } from '@kith/runtime';
export type { BlobStorage } from '@kith/runtime';
