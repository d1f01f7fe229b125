import { once } from 'node:events'

/**
 * Writes `text`, waiting for the stream to drain when its buffer is full (a stream that fails
 * meanwhile rejects instead of leaving the wait hanging).
 */
export async function writeDrained(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}
