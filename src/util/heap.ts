/**
 * How far V8 lets the heap grow past what was live after a full collection. By default it grows
 * up to four times the live size when collections are cheap, and a run that streams events makes
 * them cheap: each event and row is garbage soon after it is read, and what stays live (the
 * reorder window, the kept rows) is small. A million-event run then peaked at twice the memory of
 * a ten-thousand-event one, all of it garbage waiting. Growing by half the live size instead keeps
 * memory flat in the number of events (design §5), for more frequent full collections of a small
 * heap (a few per cent of the run's time).
 */
import { setFlagsFromString } from 'node:v8'

/** V8's `--heap-growing-percent`: read each time a collection sets the next limit. */
export const HEAP_GROWING_PERCENT = 50

export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
