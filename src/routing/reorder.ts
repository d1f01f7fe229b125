/**
 * Time order for events that arrive as a stream. The controller takes events in the order they
 * reach it, and its rate limiter counts on that order; the events a run reads come from files,
 * lists and commands in any order (a `kubectl` list is sorted by name, several files by file), so
 * routing takes them by their time (`inRoutingOrder`). A stream cannot be sorted whole without
 * holding all of it, so this window holds the last `size` events and lets go of the oldest by
 * time each time it is full:
 *
 * - a run with at most `size` events is routed exactly in `inRoutingOrder`'s order (by time,
 *   stable; events without a time last, in the order read);
 * - past that, an event is put in order among the `size` events read around it: a stream that is
 *   in time order (a watch, a webhook log) or nearly so is routed exactly as the whole sort would,
 *   and memory stays that of `size` events however long the stream is.
 */
import type { SourcedEvent } from '../events/model.js'

/** Events held for ordering: enough for any real list of Flux events, small enough to keep. */
export const REORDER_WINDOW = 10_000

interface Held {
  sourced: SourcedEvent
  /** arrival number: equal times keep the order they were read in */
  seq: number
}

export class ReorderWindow {
  /** timed events, a binary min-heap on (time, seq) */
  private readonly heap: Held[] = []
  /** events without a time, in arrival order (a FIFO with a moving head) */
  private untimed: SourcedEvent[] = []
  private untimedHead = 0
  private seq = 0

  constructor(
    private readonly emit: (sourced: SourcedEvent) => void,
    private readonly size = REORDER_WINDOW,
  ) {}

  get held(): number {
    return this.heap.length + this.untimed.length - this.untimedHead
  }

  push(sourced: SourcedEvent): void {
    if (Number.isFinite(sourced.time)) this.heapPush({ sourced, seq: this.seq++ })
    else this.untimed.push(sourced)
    // full: the oldest timed event goes first; untimed ones only when nothing timed is held
    while (this.held > this.size) this.emitOne()
  }

  /** The end of the input: everything held goes, timed events by time, then the untimed. */
  end(): void {
    while (this.held > 0) this.emitOne()
  }

  private emitOne(): void {
    if (this.heap.length > 0) {
      this.emit(this.heapPop().sourced)
      return
    }
    const next = this.untimed[this.untimedHead]!
    this.untimed[this.untimedHead++] = undefined as unknown as SourcedEvent
    if (this.untimedHead === this.untimed.length) {
      this.untimed = []
      this.untimedHead = 0
    }
    this.emit(next)
  }

  private heapPush(item: Held): void {
    const heap = this.heap
    let i = heap.push(item) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(item, heap[parent]!)) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = item
  }

  private heapPop(): Held {
    const heap = this.heap
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, last)) break
      heap[i] = heap[child]!
      i = child
    }
    heap[i] = last
    return top
  }
}

function before(a: Held, b: Held): boolean {
  return a.sourced.time < b.sourced.time || (a.sourced.time === b.sourced.time && a.seq < b.seq)
}
