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
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml'
import type { Problem } from '../manifests/model.js'
import type { SourcedEvent } from './model.js'
import { positionAt, scanJsonValue, skipJsonWhitespace } from './json-scan.js'
import {
  normaliseCoreEvent,
  normaliseEventsV1Event,
  normaliseFluxEvent,
  type IgnoredCounts,
  type NormaliseResult,
} from './normalise.js'
import { hasFluxEventField, isPlainObject } from './schema.js'

export type { IgnoredCounts } from './normalise.js'

export interface ParsedEvents {
  /** in the order they appear in the source */
  events: SourcedEvent[]
  problems: Problem[]
  /** events read but deliberately not turned into Flux events */
  ignored: IgnoredCounts
}

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
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const start = skipJsonWhitespace(text, 0)
  if (start >= text.length) return collector.finish()
  const first = text[start]
  if (first === '{' || first === '[') readJson(text, start, collector)
  else readYaml(text, collector)
  return collector.finish()
}

/** Reads events from an already decoded value (e.g. a webhook payload), with no line numbers. */
export function parseEventValue(value: unknown, source: string): ParsedEvents {
  const collector = new EventCollector(source)
  collector.addValue(value, { path: 'event' })
  return collector.finish()
}

/** Where a value sits in its source. */
interface Place {
  /** 1-based line where the value starts, when known */
  line?: number
  /**
   * How messages name the value: `event`, `items[3]`, `[2]`, `client_payload`; `path` plus
   * `[index]` when an index is set (kept apart so no string is built unless a message needs it).
   */
  path: string
  index?: number
  /** for a top-level array or list: the line of its i-th element, when known */
  itemLine?: (index: number) => number | undefined
}

class EventCollector {
  private readonly events: SourcedEvent[] = []
  private readonly problems: Problem[] = []
  private readonly ignored: IgnoredCounts = { nonFlux: 0, trace: 0 }
  private index = 0
  private droppedProblems = 0
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
        this.events.push({ event: result.event, origin, time: result.time })
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

  /** A position in the source that held no usable event (counted so indexes stay positions). */
  skipPosition(): void {
    this.index++
  }

  error(message: string, line?: number, column?: number): void {
    this.add({ severity: 'error', message, location: this.location(line, column) })
  }

  private add(problem: Problem): void {
    if (this.problems.length >= MAX_PROBLEMS_PER_SOURCE) {
      this.droppedProblems++
      return
    }
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

function readJson(text: string, start: number, collector: EventCollector): void {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    readJsonValues(text, start, collector)
    return
  }
  collector.addValue(value, {
    line: positionAt(text, start).line,
    path: 'event',
    itemLine: lazyItemLines(text, value),
  })
}

/**
 * More than one JSON value, or invalid JSON. One value per line (each line starting with `{` and
 * ending with `}`) is read line by line, so one bad line costs one event; anything else is read as
 * concatenated values, and a syntax error there ends the file (nothing after it can be trusted).
 */
function readJsonValues(text: string, start: number, collector: EventCollector): void {
  const firstLineEnd = text.indexOf('\n', start)
  const firstLine = text.slice(start, firstLineEnd < 0 ? text.length : firstLineEnd).trim()
  if (/^[{[].*[}\]]$/.test(firstLine)) {
    readJsonLines(text, collector)
    return
  }

  const lines = new LineTracker(text)
  let pos = start
  while (pos < text.length) {
    const scan = scanJsonValue(text, pos)
    if (!scan.ok) {
      const at = positionAt(text, scan.at)
      collector.error(`invalid JSON: ${scan.reason}`, at.line, at.column)
      return
    }
    const line = lines.lineAt(pos)
    let value: unknown
    try {
      value = JSON.parse(text.slice(pos, scan.end))
    } catch (e) {
      collector.error(`invalid JSON: ${errorMessage(e)}`, line)
      return
    }
    collector.addValue(value, { line, path: 'event' })
    pos = skipJsonWhitespace(text, scan.end)
  }
}

function readJsonLines(text: string, collector: EventCollector): void {
  let lineNumber = 0
  for (let pos = 0; pos <= text.length;) {
    let end = text.indexOf('\n', pos)
    if (end < 0) end = text.length
    lineNumber++
    const line = text.slice(pos, end)
    pos = end + 1
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      const { reason, column } = locateJsonError(line)
      collector.error(`invalid JSON: ${reason}`, lineNumber, column)
      collector.skipPosition()
      continue
    }
    collector.addValue(value, { line: lineNumber, path: 'event' })
  }
}

function locateJsonError(text: string): { reason: string; column: number } {
  const scan = scanJsonValue(text, 0)
  if (!scan.ok) return { reason: scan.reason, column: scan.at + 1 }
  const rest = skipJsonWhitespace(text, scan.end)
  return { reason: 'unexpected data after the JSON value', column: rest + 1 }
}

/**
 * The line of each element of a top-level array (or of a list's `items`), found cheaply: in
 * pretty-printed JSON each element opens with `{` alone on its line, all with the same
 * indentation, and a line start is never inside a JSON string. The indentation is taken from the
 * first such line; the others are found with a plain substring search (`\n<indent>{\n`). The
 * count must match exactly, or no lines are given; compact single-line JSON puts every element on
 * line 1. Computed on first use.
 */
function lazyItemLines(text: string, value: unknown): Place['itemLine'] {
  const isArray = Array.isArray(value)
  const items = isArray ? value : isPlainObject(value) ? value.items : undefined
  if (!Array.isArray(items)) return undefined
  let lines: number[] | undefined | null = null
  return (index) => {
    if (lines === null) lines = elementLines(text, items.length, !isArray)
    return lines?.[index]
  }
}

function elementLines(text: string, count: number, rootIsObject: boolean): number[] | undefined {
  const firstNewline = text.indexOf('\n')
  if (firstNewline < 0 || skipJsonWhitespace(text, firstNewline) === text.length) {
    return new Array<number>(count).fill(1)
  }
  if (count === 0) return []

  // The first element opens on the first line that holds only `{`, after the root's own `{`.
  const opener = /\n([ \t]*)\{\r?\n/g
  opener.lastIndex = rootIsObject ? text.indexOf('{') + 1 : 0
  const first = opener.exec(text)
  if (first === null) return undefined
  // Later elements follow their predecessor's closing brace: `},\n<indent>{`. Searching from the
  // `}` (far rarer than a line break) keeps this a fraction of the cost of parsing.
  const separator = `},\n${first[1]}{`
  const lines = new LineTracker(text)
  const found = [lines.lineAt(first.index + 1)]
  for (let i = text.indexOf(separator, opener.lastIndex); i >= 0;) {
    const brace = i + separator.length - 1
    const next = text.charCodeAt(brace + 1)
    // `{` must end its line; a compact `{…}` element at that indentation is not an opener.
    if (next === 0x0a || next === 0x0d) {
      found.push(lines.lineAt(brace))
      if (found.length > count) return undefined
    }
    i = text.indexOf(separator, brace + 1)
  }
  return found.length === count ? found : undefined
}

function readYaml(text: string, collector: EventCollector): void {
  const lineCounter = new LineCounter()
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false })
  if (!Array.isArray(documents)) return // only comments or directives
  for (const doc of documents) {
    const firstError = doc.errors[0]
    if (firstError) {
      const at = lineCounter.linePos(firstError.pos[0])
      collector.error(`invalid YAML: ${firstLine(firstError.message)}`, at.line, at.col)
      collector.skipPosition()
      continue
    }
    const contents = doc.contents
    if (contents === null) continue
    const line = contents.range ? lineCounter.linePos(contents.range[0]).line : undefined
    if (isScalar(contents)) {
      // Plain text (e.g. the `flux events` table) parses as one YAML string.
      collector.error(
        'not JSON or YAML events (expected Flux events, a Kubernetes Event list or a ' +
          'repository_dispatch payload)',
        line,
      )
      collector.skipPosition()
      continue
    }
    let value: unknown
    try {
      // Refuses alias bombs: a small document expanding to a huge value.
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (e) {
      collector.error(`invalid YAML: ${errorMessage(e)}`, line)
      collector.skipPosition()
      continue
    }
    const itemLine = (index: number): number | undefined => {
      const seq = isSeq(contents) ? contents : isMap(contents) ? contents.get('items', true) : null
      const node = isSeq(seq) ? seq.items[index] : undefined
      const range = (node as { range?: [number, number, number] } | undefined)?.range
      return range ? lineCounter.linePos(range[0]).line : undefined
    }
    collector.addValue(value, { line, path: 'event', itemLine })
  }
}

/** Counts lines forwards through a text; offsets must not decrease between calls. */
class LineTracker {
  private line = 1
  private offset = 0

  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    for (let nl = this.text.indexOf('\n', this.offset); nl >= 0 && nl < offset;) {
      this.line++
      nl = this.text.indexOf('\n', nl + 1)
    }
    this.offset = offset
    return this.line
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message
}

function errorMessage(e: unknown): string {
  return firstLine(e instanceof Error ? e.message : String(e))
}
