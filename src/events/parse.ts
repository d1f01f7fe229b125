/**
 * Reads events from the text of one source, whatever its format, into the one event model.
 *
 * Formats, detected per file:
 * - JSON: a Flux event object, an array of them, a Kubernetes `List`/`EventList` (`kubectl get
 *   events -o json`, `kubectl events -o json`), a single Kubernetes `Event`, a GitHub
 *   `repository_dispatch` webhook payload (`GITHUB_EVENT_PATH`) whose `client_payload` is the Flux
 *   event;
 * - JSON lines (one value per line, e.g. `kubectl get events -w -o json --output-watch-events`) and
 *   concatenated JSON values (`kubectl get events -w -o json`);
 * - YAML, possibly multi-document (`kubectl get events -o yaml`, `-w -o yaml`).
 *
 * Inside a file every value is recognised by its shape, not by the file name. Problems are one
 * line each and carry the file and line; one bad event never hides the others.
 *
 * Sources are read as streams (`parseEventStream`), one top-level value at a time: how the text
 * is cut into values is `stream.ts`; what each value means is here. `parseEvents` reads a text
 * already in memory the same way.
 */
import { isAscii } from 'node:buffer'
import type { Problem } from '../manifests/model.js'
import { oneLineMessage } from '../manifests/yaml.js'
import type { FluxEvent, SourcedEvent } from './model.js'
import {
  normaliseCoreEvent,
  normaliseEventsV1Event,
  normaliseFluxEvent,
  type IgnoredCounts,
  type NormaliseResult,
} from './normalise.js'
import { hasFluxEventField, isPlainObject } from './schema.js'
import { errorMessage, EventTextReader, type Place, type ValueSink } from './stream.js'

export type { IgnoredCounts } from './normalise.js'

export interface ParsedEvents {
  /** in the order they appear in the source */
  events: SourcedEvent[]
  problems: Problem[]
  /** events read but deliberately not turned into Flux events */
  ignored: IgnoredCounts
}

/** Strings shared between events: up to this length, and this many per source. */
const MAX_SHARED_LENGTH = 200
const MAX_SHARED_STRINGS = 10_000

/** More problems than this per source are summed up in one last line. */
const MAX_PROBLEMS_PER_SOURCE = 20

/** Kubernetes' watch event types that do not report a new occurrence of an event. */
const SKIPPED_WATCH_TYPES = new Set(['DELETED', 'BOOKMARK', 'ERROR'])

/** Keys only a Kubernetes core/v1 Event has (a Flux event has none of them). */
const CORE_EVENT_KEYS = [
  'type',
  'source',
  'count',
  'firstTimestamp',
  'lastTimestamp',
  'eventTime',
  'reportingComponent',
]

/**
 * Parses the text of one event source. `source` is how the source is named in origins and
 * problems (a path as given, `stdin`, …).
 */
export function parseEvents(text: string, source: string): ParsedEvents {
  const collector = new EventCollector(source)
  const reader = new EventTextReader(collector)
  reader.push(text)
  reader.end()
  return collector.finish()
}

/**
 * Takes events as soon as the values holding them are complete, in source order. A returned
 * promise holds the reading back until it settles (the consumer's back-pressure).
 */
export type EventsSink = (events: SourcedEvent[]) => void | Promise<void>

export interface EventStreamOptions {
  /** How a failure of the stream itself (not of its content) is described; default `cannot read: …`. */
  describeError?: (error: unknown) => string
  /**
   * Hands the events on as they are read instead of collecting them: the result's `events` is
   * then empty. A value is handed on only once it is complete (a list once its last item is
   * read, since a list that turns out not to be one is read as one value instead).
   */
  onEvents?: EventsSink
}

/**
 * Parses one event source read as a stream of chunks (bytes as UTF-8, or text), holding one
 * top-level value at a time. When the reader refuses a value it stops pulling chunks, which
 * closes the stream (`for await` calls its `return`). A failing stream is one Problem
 * (`<source>: <why>`); the complete values read before it are kept, the one in progress is not.
 */
export async function parseEventStream(
  chunks: AsyncIterable<Uint8Array | string>,
  source: string,
  options: EventStreamOptions = {},
): Promise<ParsedEvents> {
  const collector = new EventCollector(source)
  const reader = new EventTextReader(collector)
  // ignoreBOM keeps a byte-order mark in the text, for the reader to drop as parseEvents does.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  const { onEvents } = options
  // what is complete goes on after each chunk: the reader holds at most the value in progress
  const handOn = async (upTo: CollectorMark | undefined): Promise<void> => {
    if (!onEvents) return
    const ready = collector.takeEvents(upTo)
    if (ready.length > 0) await onEvents(ready)
  }
  try {
    for await (const chunk of chunks) {
      const text =
        typeof chunk === 'string'
          ? decoder.decode() + chunk
          : isAscii(chunk)
            ? // the common case, and a third of the cost of decoding: ASCII reads the same as
              // Latin-1 (the flush ends a sequence the previous chunk left open, as decode would)
              decoder.decode() + latin1(chunk)
            : decoder.decode(chunk, { stream: true })
      const more = reader.push(text)
      await handOn(reader.pendingMark)
      if (!more) break
    }
    reader.push(decoder.decode())
    reader.end()
  } catch (error) {
    reader.abort()
    const why = options.describeError?.(error) ?? `cannot read: ${errorMessage(error)}`
    collector.fatal(`${source}: ${why}`, undefined, false)
  }
  await handOn(undefined)
  return collector.finish()
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** Reads events from an already decoded value (e.g. a webhook payload), with no line numbers. */
export function parseEventValue(value: unknown, source: string): ParsedEvents {
  const collector = new EventCollector(source)
  collector.addValue(value, { path: 'event' })
  return collector.finish()
}

/** What the collector was at one moment, to go back to it when a value is dropped. */
interface CollectorMark {
  events: number
  problems: number
  droppedProblems: number
  nonFlux: number
  trace: number
  index: number
  aggregated: number
  firstAggregatedLine: number | undefined
}

class EventCollector implements ValueSink<CollectorMark> {
  private readonly events: SourcedEvent[] = []
  private readonly problems: Problem[] = []
  private readonly ignored: IgnoredCounts = { nonFlux: 0, trace: 0 }
  private index = 0
  private droppedProblems = 0
  /** events already handed on by `takeEvents` (marks count them, so a rollback stays exact) */
  private handedOn = 0
  private aggregated = 0
  private firstAggregatedLine: number | undefined

  constructor(private readonly source: string) {}

  /** A top-level value: an array or list is walked, anything else is one item. */
  addValue(value: unknown, place: Place): void {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        this.addItem(item, { line: place.itemLine?.(i) ?? place.line, path: '', index: i })
      })
    } else {
      this.addItem(value, place)
    }
  }

  addArrayElement(value: unknown, index: number, line: number): void {
    this.addItem(value, { line, path: '', index })
  }

  addListItem(value: unknown, index: number, line: number): void {
    this.addItem(value, { line, path: 'items', index })
  }

  isList(envelope: Record<string, unknown>): boolean {
    return classify(envelope) === 'list'
  }

  /** A value that should be an event, or a wrapper around events. */
  private addItem(value: unknown, place: Place): void {
    if (!isPlainObject(value)) {
      this.index++
      this.error(
        `${labelOf(place)}: expected an event object, found ${typeName(value)}`,
        place.line,
      )
      return
    }
    switch (classify(value)) {
      case 'list': {
        const items = value.items as unknown[]
        const path = place.path === 'event' ? 'items' : `${labelOf(place)}.items`
        items.forEach((item, i) => {
          const line = place.itemLine?.(i) ?? place.line
          this.addItem(item, { line, path, index: i })
        })
        return
      }
      case 'dispatch':
        this.addItem(value.client_payload, { line: place.line, path: 'client_payload' })
        return
      case 'watch':
        // `--output-watch-events`: DELETED is the event expiring (its content was seen when it
        // was ADDED or MODIFIED), BOOKMARK and ERROR carry no event.
        if (SKIPPED_WATCH_TYPES.has(value.type as string)) {
          this.index++
          return
        }
        this.addItem(value.object, { line: place.line, path: `${labelOf(place)}.object` })
        return
      case 'flux':
        this.addResult(normaliseFluxEvent(value), place)
        return
      case 'core':
        this.addResult(normaliseCoreEvent(value), place)
        return
      case 'eventsV1':
        this.addResult(normaliseEventsV1Event(value), place)
        return
      case 'unknown': {
        this.index++
        const kind = typeof value.kind === 'string' ? ` (kind ${value.kind})` : ''
        this.error(
          `${labelOf(place)}: not a Flux event or Kubernetes Event${kind} (a Flux event has ` +
            'involvedObject and severity; a Kubernetes Event has kind: Event)',
          place.line,
        )
        return
      }
    }
  }

  private addResult(result: NormaliseResult, place: Place): void {
    const index = this.index++
    switch (result.kind) {
      case 'event': {
        const origin =
          place.line === undefined
            ? { source: this.source, index }
            : { source: this.source, index, line: place.line }
        this.events.push({ event: this.shareStrings(result.event), origin, time: result.time })
        if (result.aggregated) {
          if (this.aggregated++ === 0) this.firstAggregatedLine = place.line
        }
        return
      }
      case 'ignored':
        this.ignored[result.why]++
        return
      case 'invalid':
        this.error(`${labelOf(place)}: ${result.message}`, place.line)
        return
    }
  }

  /**
   * Gives the event the pool's copy of each repeated string (object identity, controller,
   * reason, message, metadata such as revisions), so that the events held at once (a list until
   * its end, the reorder window, a run that keeps state) do not each hold their own copy of the
   * same text. JSON.parse makes a new string for each value it reads; a big source repeats the
   * same few hundred objects. The event is the one the normaliser just built, so it is ours to
   * change.
   */
  private shareStrings(event: FluxEvent): FluxEvent {
    const ref = event.involvedObject
    if (ref.kind !== undefined) ref.kind = this.shared(ref.kind)
    if (ref.namespace !== undefined) ref.namespace = this.shared(ref.namespace)
    if (ref.name !== undefined) ref.name = this.shared(ref.name)
    if (ref.uid !== undefined) ref.uid = this.shared(ref.uid)
    if (ref.apiVersion !== undefined) ref.apiVersion = this.shared(ref.apiVersion)
    if (event.timestamp !== null) event.timestamp = this.shared(event.timestamp)
    event.severity = this.shared(event.severity)
    event.reason = this.shared(event.reason)
    event.message = this.shared(event.message)
    event.reportingController = this.shared(event.reportingController)
    if (event.reportingInstance !== undefined) {
      event.reportingInstance = this.shared(event.reportingInstance)
    }
    const metadata = event.metadata
    if (metadata !== undefined) {
      for (const key of Object.keys(metadata)) {
        // an own `__proto__` key is data; assigning to it would set the prototype instead
        if (key !== '__proto__') metadata[key] = this.shared(metadata[key]!)
      }
    }
    return event
  }

  private readonly pool = new Map<string, string>()

  private shared(text: string): string {
    if (text.length > MAX_SHARED_LENGTH) return text
    const known = this.pool.get(text)
    if (known !== undefined) return known
    // full: start again, so the strings that keep coming back are shared and the others (unique
    // revisions, messages) are let go: a long stream must not hold on to every string it read
    if (this.pool.size >= MAX_SHARED_STRINGS) this.pool.clear()
    this.pool.set(text, text)
    return text
  }

  /** A position in the source that held no usable event (counted so indexes stay positions). */
  skipPosition(): void {
    this.index++
  }

  error(message: string, line?: number, column?: number): void {
    this.add({ severity: 'error', message, location: this.location(line, column) })
  }

  /**
   * A problem that ends the source, listed even past the per-source limit. `located` false: the
   * message names the source itself (`<source>: not a valid gzip stream`), with no location.
   */
  fatal(message: string, line?: number, located = true): void {
    message = oneLineMessage(message)
    this.problems.push(
      located
        ? { severity: 'error', message, location: this.location(line) }
        : { severity: 'error', message },
    )
  }

  /**
   * The events read before `upTo` (all of them without it), removed from the collector. Only
   * complete values are taken, so no later rollback reaches them.
   */
  takeEvents(upTo: CollectorMark | undefined): SourcedEvent[] {
    const count = upTo ? upTo.events - this.handedOn : this.events.length
    if (count <= 0) return []
    this.handedOn += count
    return count === this.events.length ? this.events.splice(0) : this.events.splice(0, count)
  }

  mark(): CollectorMark {
    return {
      events: this.handedOn + this.events.length,
      problems: this.problems.length,
      droppedProblems: this.droppedProblems,
      nonFlux: this.ignored.nonFlux,
      trace: this.ignored.trace,
      index: this.index,
      aggregated: this.aggregated,
      firstAggregatedLine: this.firstAggregatedLine,
    }
  }

  rollback(mark: CollectorMark): void {
    this.events.length = mark.events - this.handedOn
    this.problems.length = mark.problems
    this.droppedProblems = mark.droppedProblems
    this.ignored.nonFlux = mark.nonFlux
    this.ignored.trace = mark.trace
    this.index = mark.index
    this.aggregated = mark.aggregated
    this.firstAggregatedLine = mark.firstAggregatedLine
  }

  private add(problem: Problem): void {
    if (this.problems.length >= MAX_PROBLEMS_PER_SOURCE) {
      this.droppedProblems++
      return
    }
    // Messages quote what the file holds (a kind, a key): keep each one line whatever it is.
    problem.message = oneLineMessage(problem.message)
    this.problems.push(problem)
  }

  private location(line?: number, column?: number): Problem['location'] {
    const location: NonNullable<Problem['location']> = { file: this.source }
    if (line !== undefined) location.line = line
    if (column !== undefined) location.column = column
    return location
  }

  finish(): ParsedEvents {
    if (this.droppedProblems > 0) {
      this.problems.push({
        severity: 'error',
        message: `${this.droppedProblems} more problems in this source not listed`,
        location: this.location(),
      })
    }
    if (this.aggregated > 0) {
      const what = this.aggregated === 1 ? 'event was' : 'events were'
      this.problems.push({
        severity: 'warning',
        message:
          `${this.aggregated} Kubernetes ${what} aggregated ("(combined from similar events)") and ` +
          'lost the controller metadata, such as the revision',
        location: this.location(this.firstAggregatedLine),
      })
    }
    return { events: this.events, problems: this.problems, ignored: this.ignored }
  }
}

function labelOf(place: Place): string {
  return place.index === undefined ? place.path : `${place.path}[${place.index}]`
}

type Shape = 'list' | 'dispatch' | 'watch' | 'flux' | 'core' | 'eventsV1' | 'unknown'

/** Recognises what a JSON/YAML object is by its keys. */
function classify(value: Record<string, unknown>): Shape {
  // The common case first: every item of a kubectl list.
  if (value.kind === 'Event') {
    const apiVersion = value.apiVersion
    return typeof apiVersion === 'string' && apiVersion.startsWith('events.k8s.io/')
      ? 'eventsV1'
      : 'core'
  }
  if (Array.isArray(value.items)) return 'list'
  if (isPlainObject(value.client_payload)) return 'dispatch'
  if (
    isPlainObject(value.object) &&
    typeof value.type === 'string' &&
    !('involvedObject' in value)
  ) {
    return 'watch'
  }
  const apiVersion = value.apiVersion
  if (
    (typeof apiVersion === 'string' && apiVersion.startsWith('events.k8s.io/')) ||
    isPlainObject(value.regarding)
  ) {
    return 'eventsV1'
  }
  if ('involvedObject' in value || hasFluxEventField(value, 'involvedObject')) {
    // severity and reportingController exist only in the Flux event; extra keys a relay may have
    // added (count, type, …) do not make it a Kubernetes Event.
    if (hasFluxEventField(value, 'severity') || hasFluxEventField(value, 'reportingController')) {
      return 'flux'
    }
    if (CORE_EVENT_KEYS.some((key) => key in value)) return 'core'
  }
  return 'unknown'
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
