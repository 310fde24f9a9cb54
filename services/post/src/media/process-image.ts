import crypto from 'node:crypto';
import { encode } from 'blurhash';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { Sharp } from 'sharp';

/** The largest image accepted, in pixels (width × height, read from the header). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** The longest side of the served image; larger ones are scaled down. */
export const MAX_IMAGE_SIDE = 4096;
/** The longest side of the thumbnail. */
export const THUMBNAIL_SIDE = 400;
/** What every derivative is encoded as. */
export const SERVED_TYPE = 'image/webp';

/** The image types MEDIA_KIND_IMAGE accepts, as detected from the bytes. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif'];

export interface ProcessedImage {
  /** Base64 SHA-256 of the bytes as uploaded. */
  sha256: string;
  /** What the bytes are, detected from their magic numbers. */
  detectedType: string;
  image: { data: Uint8Array; width: number; height: number };
  thumbnail: { data: Uint8Array; width: number; height: number };
  blurhash: string;
}

/** Why an upload was refused: short and safe to show the client (Media.failure_reason). */
export class RefusedUpload extends Error {}

/**
 * Checks and re-encodes an uploaded image: exact size and (when declared) SHA-256, the type
 * from the magic bytes (an HTML or SVG file named .jpg is refused), the pixel count from the
 * header before anything is decoded, then a fresh WebP oriented by its EXIF tag and carrying
 * no metadata at all (EXIF, GPS, XMP, ICC: nothing of the original survives), a thumbnail
 * and a BlurHash. Throws RefusedUpload for what the client must fix.
 */
export async function processImage(
  bytes: Uint8Array,
  declared: { sizeBytes: number; sha256: string },
): Promise<ProcessedImage> {
  const { sha256, detected } = await checkUpload(bytes, declared);
  if (!detected || !IMAGE_TYPES.includes(detected)) {
    throw new RefusedUpload('the file is not a JPEG, PNG, WebP or AVIF image');
  }
  const input = () => sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' });
  // The header alone: an image over the limit is refused before any pixel is decoded
  // (`limitInputPixels` refuses it here too, and again on the full decode below).
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await input().metadata());
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) throw tooManyPixels();
    throw new RefusedUpload('the image could not be read');
  }
  if (!width || !height) throw new RefusedUpload('the image could not be read');
  if (width * height > MAX_IMAGE_PIXELS) throw tooManyPixels();

  try {
    const oriented = input().autoOrient();
    const image = await oriented
      .clone()
      .resize({
        width: MAX_IMAGE_SIDE,
        height: MAX_IMAGE_SIDE,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .webp({ quality: 82 })
      .toBuffer({ resolveWithObject: true });
    const { thumbnail, blurhash } = await previewOf(oriented.clone());
    return {
      sha256,
      detectedType: detected,
      image: {
        data: new Uint8Array(image.data),
        width: image.info.width,
        height: image.info.height,
      },
      thumbnail,
      blurhash,
    };
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) throw tooManyPixels();
    throw new RefusedUpload('the image could not be decoded');
  }
}

/**
 * The checks every upload passes first: its exact declared size and (when declared) SHA-256;
 * its base64 SHA-256 and the type its magic bytes say (without parameters), if any.
 */
export async function checkUpload(
  bytes: Uint8Array,
  declared: { sizeBytes: number; sha256: string },
): Promise<{ sha256: string; detected: string | undefined }> {
  if (bytes.length !== declared.sizeBytes) {
    throw new RefusedUpload(
      `the file is ${bytes.length} bytes, not the ${declared.sizeBytes} declared`,
    );
  }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('base64');
  if (declared.sha256 && declared.sha256 !== sha256) {
    throw new RefusedUpload('the file does not match the declared sha256');
  }
  const type = await fileTypeFromBuffer(bytes);
  return { sha256, detected: type?.mime.split(';')[0] };
}

/** A picture's thumbnail (WebP, at most 400 px a side) and its 4×3 BlurHash. */
export async function previewOf(
  picture: Sharp,
): Promise<{ thumbnail: ProcessedImage['thumbnail']; blurhash: string }> {
  const thumbnail = await picture
    .resize({
      width: THUMBNAIL_SIDE,
      height: THUMBNAIL_SIDE,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .webp({ quality: 75 })
    .toBuffer({ resolveWithObject: true });
  const small = await sharp(thumbnail.data)
    .resize({ width: 32, height: 32, fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const blurhash = encode(
    new Uint8ClampedArray(small.data),
    small.info.width,
    small.info.height,
    Math.min(4, small.info.width),
    Math.min(3, small.info.height),
  );
  return {
    thumbnail: {
      data: new Uint8Array(thumbnail.data),
      width: thumbnail.info.width,
      height: thumbnail.info.height,
    },
    blurhash,
  };
}

function tooManyPixels(): RefusedUpload {
  return new RefusedUpload(
    `the image has more than ${MAX_IMAGE_PIXELS / 1_000_000} million pixels`,
  );
}
