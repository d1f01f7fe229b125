/**
 * Bytes of an event source → text: gzip-compressed content (recognised by its magic bytes, not by
 * the file name) is inflated, bounded so a small compressed file cannot expand without limit.
 */
import { gunzipSync } from 'node:zlib'
import type { Problem } from '../manifests/model.js'

/** Inflated content larger than this is refused. */
export const MAX_INFLATED_BYTES = 512 * 1024 * 1024

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** The UTF-8 text of `bytes` (inflated when gzip), or a one-line Problem naming `label`. */
export function decodeEventBytes(bytes: Uint8Array, label: string): string | Problem {
  if (!isGzip(bytes))
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why =
      code === 'ERR_BUFFER_TOO_LARGE'
        ? `inflates to more than ${MAX_INFLATED_BYTES / 1024 / 1024} MiB`
        : 'not a valid gzip stream'
    return { severity: 'error', message: `${label}: ${why}` }
  }
}
