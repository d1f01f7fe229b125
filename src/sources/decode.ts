/**
 * Bytes of an event source → text: gzip-compressed content (recognised by its magic bytes, not by
 * the file name) is inflated. `decodeEventBytes` works on bytes already in memory, bounded so a
 * small compressed file cannot expand without limit; `readEventSource` works on a stream and
 * needs no bound beyond the reader's per-value limit, since it never holds the whole text.
 */
import { pipeline, Readable } from 'node:stream'
import { createGunzip, gunzipSync } from 'node:zlib'
import type { Problem } from '../manifests/model.js'
import { parseEventStream, type EventsSink, type ParsedEvents } from '../events/parse.js'

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

/**
 * The chunks of an event source, inflated when its first bytes are gzip's magic (whatever its
 * name or Content-Type), as a stream: nothing is held beyond what the reader has not taken yet.
 * A broken gzip stream fails the iteration with a GzipStreamError; a failure of the source itself
 * comes through as it was. Stopping the iteration early closes the source.
 */
export async function* inflateIfGzip(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array | string, void, undefined> {
  const upstream = chunks[Symbol.asyncIterator]()
  let finished = false
  try {
    // The first two bytes decide; they may come in separate chunks.
    const head: Uint8Array[] = []
    let headBytes = 0
    while (headBytes < 2) {
      const next = await upstream.next()
      if (next.done) {
        finished = true
        break
      }
      if (typeof next.value === 'string') {
        // Text is never compressed: pass everything through.
        for (const bytes of head) yield bytes
        yield next.value
        headBytes = Infinity
        break
      }
      head.push(next.value)
      headBytes += next.value.length
    }
    const prefix = head.length === 1 ? head[0]! : Buffer.concat(head)
    const rest = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const next = await upstream.next()
          if (next.done) finished = true
          return next
        },
      }),
    }
    if (headBytes === Infinity || !isGzip(prefix)) {
      if (headBytes !== Infinity && prefix.length > 0) yield prefix
      if (!finished) yield* rest
      return
    }

    let sourceError: { error: unknown } | undefined
    const compressed = async function* () {
      yield prefix
      try {
        for await (const chunk of rest) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      } catch (error) {
        sourceError = { error }
        throw error
      }
    }
    // Errors reach the iteration below; pipeline's callback only keeps them from going unhandled.
    const inflated = pipeline(Readable.from(compressed()), createGunzip(), () => {})
    try {
      for await (const chunk of inflated) yield chunk as Buffer
    } catch (error) {
      if (sourceError) throw sourceError.error
      throw new GzipStreamError(error)
    }
  } finally {
    if (!finished) await upstream.return?.()
  }
}

export class GzipStreamError extends Error {
  constructor(cause: unknown) {
    super('not a valid gzip stream', { cause })
  }
}

export interface EventSourceOptions {
  /** How a failure of the source (not a gzip error) is described; default `cannot read: …`. */
  describeError?: (error: unknown) => string
  /** hands the events on as they are read (see `parseEventStream`) */
  onEvents?: EventsSink
}

/**
 * Reads one event source from its chunks: inflated when gzip, parsed one value at a time. Every
 * failure is a Problem naming `label`.
 */
export function readEventSource(
  chunks: AsyncIterable<Uint8Array | string>,
  label: string,
  options: EventSourceOptions = {},
): Promise<ParsedEvents> {
  return parseEventStream(inflateIfGzip(chunks), label, {
    onEvents: options.onEvents,
    describeError: (error) => {
      if (error instanceof GzipStreamError) return error.message
      if (options.describeError) return options.describeError(error)
      return `cannot read: ${firstLine(error)}`
    },
  })
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? ''
}
