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

export class ReorderWindow {
  // Timed events, a binary min-heap on (time, arrival number), kept as three parallel arrays: no
  // wrapper object per event, and comparisons read plain numbers. Equal times keep the order
  // they were read in.
  private readonly heapEvents: SourcedEvent[] = []
  private readonly heapTimes: number[] = []
  private readonly heapSeqs: number[] = []
  /** events without a time, in arrival order (a FIFO with a moving head) */
  private untimed: SourcedEvent[] = []
  private untimedHead = 0
  private seq = 0

  constructor(
    private readonly emit: (sourced: SourcedEvent) => void,
    private readonly size = REORDER_WINDOW,
  ) {}

  get held(): number {
    return this.heapEvents.length + this.untimed.length - this.untimedHead
  }

  push(sourced: SourcedEvent): void {
    if (Number.isFinite(sourced.time)) this.heapPush(sourced, sourced.time, this.seq++)
    else this.untimed.push(sourced)
    // full: the oldest timed event goes first; untimed ones only when nothing timed is held
    while (this.held > this.size) this.emitOne()
  }

  /** The end of the input: everything held goes, timed events by time, then the untimed. */
  end(): void {
    while (this.held > 0) this.emitOne()
  }

  private emitOne(): void {
    if (this.heapEvents.length > 0) {
      this.emit(this.heapPop())
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

  private heapPush(sourced: SourcedEvent, time: number, seq: number): void {
    const { heapEvents: events, heapTimes: times, heapSeqs: seqs } = this
    let i = events.length
    events.push(sourced)
    times.push(time)
    seqs.push(seq)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const parentTime = times[parent]!
      if (!(time < parentTime || (time === parentTime && seq < seqs[parent]!))) break
      events[i] = events[parent]!
      times[i] = parentTime
      seqs[i] = seqs[parent]!
      i = parent
    }
    events[i] = sourced
    times[i] = time
    seqs[i] = seq
  }

  private heapPop(): SourcedEvent {
    const { heapEvents: events, heapTimes: times, heapSeqs: seqs } = this
    const top = events[0]!
    const last = events.pop()!
    const lastTime = times.pop()!
    const lastSeq = seqs.pop()!
    const length = events.length
    if (length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= length) break
      const right = left + 1
      let child = left
      if (right < length) {
        const rightTime = times[right]!
        const leftTime = times[left]!
        if (rightTime < leftTime || (rightTime === leftTime && seqs[right]! < seqs[left]!)) {
          child = right
        }
      }
      const childTime = times[child]!
      if (!(childTime < lastTime || (childTime === lastTime && seqs[child]! < lastSeq))) break
      events[i] = events[child]!
      times[i] = childTime
      seqs[i] = seqs[child]!
      i = child
    }
    events[i] = last
    times[i] = lastTime
    seqs[i] = lastSeq
    return top
  }
}
