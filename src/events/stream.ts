/**
 * Frames the text of one event source into values, chunk by chunk, holding one top-level value
 * at a time: an NDJSON line, one element of a top-level JSON array, one item of a Kubernetes
 * `List`/`EventList` (its `items` may come before its `kind`), one of several concatenated JSON
 * values, one YAML document. What a value means is the sink's business (`parse.ts`); this module
 * only says where values start and end, on which line, and where the text is not JSON or YAML.
 *
 * How the format is chosen (the same rules `parseEvents` always had):
 * - the first non-blank character is neither `{` nor `[` → YAML, split on `---`/`...` lines and
 *   parsed document by document;
 * - the first line, trimmed, is a complete-looking `{…}` or `[…]` → one JSON value per line, each
 *   line on its own, so one bad line costs one event;
 * - otherwise → JSON values one after another (one pretty-printed value, or `kubectl get events
 *   -w -o json`'s concatenated objects). A syntax error ends the source: nothing after it can be
 *   trusted, and the value it is in is dropped whole.
 *
 * No single value may be larger than MAX_VALUE_CHARS: such a value is refused and the source
 * stops there, without reading (or holding) the rest of it.
 *
 * Speed: most values are not framed character by character. When the text at hand holds a whole
 * list item or top-level object, its end is guessed from the layout and proved by JSON.parse
 * (`readElementAtHand`), so reading costs little more than parsing; the framing is what reads
 * everything else, and what finds and words every error.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml'
import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  describeAt,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
  scanJsonValue,
  skipJsonWhitespace,
} from './json-scan.js'

/** The largest single value (line, list item, document), in UTF-16 code units. */
export const MAX_VALUE_CHARS = 16 * 1024 * 1024

export const VALUE_TOO_LARGE = 'a single value larger than 16 MiB; refusing it'

/** Where a value sits in its source. */
export interface Place {
  /** 1-based line where the value starts, when known */
  line?: number
  /**
   * How messages name the value: `event`, `items[3]`, `[2]`, `client_payload`; `path` plus
   * `[index]` when an index is set (kept apart so no string is built unless a message needs it).
   */
  path: string
  index?: number
  /** for a top-level array or list whose elements were not framed one by one: their lines */
  itemLine?: (index: number) => number | undefined
}

/** What the framing hands its values to (the event collector of `parse.ts`). */
export interface ValueSink<Mark> {
  /** a whole top-level value (walked if it is an array or a list) */
  addValue(value: unknown, place: Place): void
  /** the i-th element of a top-level JSON array */
  addArrayElement(value: unknown, index: number, line: number): void
  /** the i-th item of a top-level list's `items` */
  addListItem(value: unknown, index: number, line: number): void
  /** would this object (its `items` replaced by `[]`) be read as a list of its items? */
  isList(envelope: Record<string, unknown>): boolean
  /** a problem with the text itself */
  error(message: string, line?: number, column?: number): void
  /** a problem that ends the source; always listed */
  fatal(message: string, line?: number): void
  /** a position in the source that held no usable event (counted so indexes stay positions) */
  skipPosition(): void
  /** the state before a value, to drop everything that value added */
  mark(): Mark
  rollback(mark: Mark): void
}

/** What the framing generator asks for: the next chunk of text, or null at the end. */
type Read<T> = Generator<void, T, string | null>

/** A value's text, cut out of the stream, and where it started. */
interface Unit {
  text: string
  line: number
  /** 1-based column of its first character */
  column: number
}

const TOO_LARGE = Symbol('too large')

/** How near the end of its chunk a value must start to be read with the next chunk joined on. */
const JOIN_LIMIT = 16 * 1024

/** The largest top-level object `readObjectAtHand` reads whole (a list's envelope may be huge). */
const MAX_OBJECT_AT_HAND = 1024 * 1024

/** What `readElementAtHand` did: nothing, one element, or one element and the `,` after it. */
const NOT_AT_HAND = 0
const DONE_AT_HAND = 1
const NEXT_AT_HAND = 2
type ElementAtHand = typeof NOT_AT_HAND | typeof DONE_AT_HAND | typeof NEXT_AT_HAND

/** The two layouts whose element ends are guessed (see `guessObjectEnd`). */
const INDENTED = 1
const NEXT_KEY = 2

const LINE_FEED = 0x0a
const CARRIAGE_RETURN = 0x0d
const SPACE = 0x20
const TAB = 0x09

/**
 * A bracket, or a string (group 1 set when its closing quote is in the text; otherwise it goes on
 * in the next chunk, stops at something that is not JSON, or has more escapes than one match
 * takes, and is followed character by character). Skipping a string in one match keeps the
 * framing a fraction of the cost of parsing. Written as an unrolled loop with bounded escapes:
 * `(?:a|b)*` over a long string overflows the regular-expression stack.
 */
// eslint-disable-next-line no-control-regex -- control characters end a JSON string's match
const STRUCTURE = /"[^"\\\u0000-\u001f]*(?:\\[^][^"\\\u0000-\u001f]*){0,256}(")?|[{}[\]]/g
/** Where a string can end, or where it turns out not to be JSON (a raw control character). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const STRING_STOP = /["\\\u0000-\u001f]/g

/** `kubectl … -o json` per line and `jq -c` output: a first line that opens and closes. */
const ONE_VALUE_PER_LINE = /^[{[].*[}\]]$/
const YAML_DOCUMENT_START = /^---(?:[ \t\r]|$)/
const YAML_DOCUMENT_END = /^\.\.\.(?:[ \t\r]|$)/

/**
 * Reads one source pushed as text chunks. `push` returns false once the reader wants no more
 * input (a refused value or a syntax error that ends the source); `end` reads what is left.
 */
export class EventTextReader<Mark> {
  private readonly steps: Read<void>
  private done = false
  private started = false

  // The unread input: `chunk` from `i` on.
  private chunk = ''
  private i = 0
  private eof = false
  /** line and 0-based column of `chunk[i]` */
  private line = 1
  private column = 0
  /** the top-level value being framed, to drop it if the source fails before it is complete */
  private pending: Mark | undefined

  constructor(private readonly sink: ValueSink<Mark>) {
    this.steps = this.read()
    this.step(undefined)
  }

  /** Whether the reader still takes input. */
  get open(): boolean {
    return !this.done
  }

  /**
   * The sink's state before the top-level value being read, or undefined between values: what
   * the sink added before this mark is complete and can be handed on, what came after it may
   * still be rolled back.
   */
  get pendingMark(): Mark | undefined {
    return this.pending
  }

  push(text: string): boolean {
    if (this.done || text === '') return !this.done
    if (!this.started) {
      this.started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    this.step(text)
    return !this.done
  }

  /** The end of the input: whatever was held back (a last line without newline) is read. */
  end(): void {
    while (!this.done) this.step(null)
  }

  /** The source failed (a read or inflate error): the value in progress is dropped. */
  abort(): void {
    if (this.pending !== undefined) this.sink.rollback(this.pending)
    this.pending = undefined
    if (!this.done) this.steps.return()
    this.done = true
  }

  private step(input: string | null | undefined): void {
    const result = this.steps.next(input as string | null)
    if (result.done) this.done = true
  }

  // ---- the input --------------------------------------------------------------------------

  /** Waits until `n` characters are available (or the input ended); true when they are. */
  private *fill(n = 1): Read<boolean> {
    while (this.chunk.length - this.i < n && !this.eof) {
      const next = yield
      if (next === null) {
        this.eof = true
        break
      }
      this.chunk = this.i < this.chunk.length ? this.chunk.slice(this.i) + next : next
      this.i = 0
    }
    return this.chunk.length - this.i >= n
  }

  /** The character code at the cursor, or -1 at the end. */
  private *peek(): Read<number> {
    return (yield* this.fill()) ? this.chunk.charCodeAt(this.i) : -1
  }

  /** Consumes chunk[i, end), keeping line and column up to date; returns the text. */
  private take(end: number): string {
    const text = this.chunk.slice(this.i, end)
    this.consume(text)
    return text
  }

  /** Moves the cursor over `text`, which is chunk[i, i + text.length). */
  private consume(text: string): void {
    this.i += text.length
    let nl = text.indexOf('\n')
    if (nl < 0) {
      this.column += text.length
      return
    }
    let last = nl
    while (nl >= 0) {
      this.line++
      last = nl
      nl = text.indexOf('\n', nl + 1)
    }
    this.column = text.length - last - 1
  }

  /** Puts text back in front of the cursor (text that was taken and holds no line break). */
  private untake(text: string): void {
    this.chunk = text + this.chunk.slice(this.i)
    this.i = 0
    this.column -= text.length
  }

  /** Skips JSON whitespace; returns the blanks skipped on the current line when asked to. */
  private *skipBlanks(keepLine = false): Read<string> {
    let kept = ''
    while (yield* this.fill()) {
      const end = skipJsonWhitespace(this.chunk, this.i)
      const skipped = this.take(end)
      if (keepLine) {
        const nl = skipped.lastIndexOf('\n')
        kept = nl < 0 ? kept + skipped : skipped.slice(nl + 1)
        if (kept.length > MAX_VALUE_CHARS) kept = kept.slice(-MAX_VALUE_CHARS)
      }
      if (end < this.chunk.length) break
    }
    return kept
  }

  /**
   * Reads up to the next line break or the end of the input. `more` is false when nothing was
   * left to read; `newline` says whether a line break ended it (consumed, not in `text`).
   * TOO_LARGE when the line passes `limit`.
   */
  private *readLine(
    limit: number,
  ): Read<{ text: string; more: boolean; newline: boolean } | typeof TOO_LARGE> {
    // The common case, the whole line already at hand: one slice, no line counting.
    const first = this.chunk.indexOf('\n', this.i)
    if (first >= 0 && first - this.i <= limit) {
      const text = this.chunk.slice(this.i, first)
      this.i = first + 1
      this.line++
      this.column = 0
      return { text, more: true, newline: true }
    }
    const pieces: string[] = []
    let size = 0
    let more = false
    while (yield* this.fill()) {
      more = true
      const nl = this.chunk.indexOf('\n', this.i)
      const end = nl < 0 ? this.chunk.length : nl
      if (size + end - this.i > limit) return TOO_LARGE
      const piece = this.take(end)
      pieces.push(piece)
      size += piece.length
      if (nl >= 0) {
        this.take(nl + 1)
        return { text: pieces.join(''), more, newline: true }
      }
    }
    return { text: pieces.join(''), more, newline: false }
  }

  /**
   * The rest of the current line, without consuming it; TOO_LARGE past the limit (what was read
   * stays unread, for a reader that does not need whole lines). The chunks are gathered and
   * joined once, so a long line costs its length, not its length squared.
   */
  private *peekLine(limit: number): Read<string | typeof TOO_LARGE> {
    let nl = this.chunk.indexOf('\n', this.i)
    if (nl >= 0) return this.chunk.slice(this.i, nl)
    const pieces = [this.chunk.slice(this.i)]
    let size = pieces[0]!.length
    while (!this.eof) {
      if (size > limit) break
      const next = yield
      if (next === null) {
        this.eof = true
        break
      }
      pieces.push(next)
      size += next.length
      if (next.includes('\n')) break
    }
    this.chunk = pieces.join('')
    this.i = 0
    nl = this.chunk.indexOf('\n')
    const line = this.chunk.slice(0, nl < 0 ? undefined : nl)
    return line.length > limit ? TOO_LARGE : line
  }

  // ---- formats ----------------------------------------------------------------------------

  private *read(): Read<void> {
    const blanks = yield* this.skipBlanks(true)
    const first = yield* this.peek()
    if (first < 0) return
    if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
      yield* this.readYaml(blanks)
      return
    }
    // A first line longer than any value can only be one value's start that goes on past it,
    // as in the API server's one-line `EventList`: framed value by value (a `List`'s items one
    // by one), whatever the line breaks, so only a single over-limit value is refused.
    const firstLine = yield* this.peekLine(MAX_VALUE_CHARS)
    if (firstLine !== TOO_LARGE && ONE_VALUE_PER_LINE.test(firstLine.trim())) {
      this.untake(blanks)
      yield* this.readJsonLines()
    } else {
      yield* this.readJsonValues()
    }
  }

  /** One JSON value per line, each line read on its own. */
  private *readJsonLines(): Read<void> {
    for (;;) {
      this.readJsonLinesAtHand()
      const lineNumber = this.line
      const line = yield* this.readLine(MAX_VALUE_CHARS)
      if (line === TOO_LARGE) {
        this.sink.fatal(VALUE_TOO_LARGE, lineNumber)
        return
      }
      if (!line.more) return
      readJsonLine(line.text, lineNumber, this.sink)
    }
  }

  /**
   * The whole lines the chunk at hand holds, read in one loop (what `readLine` would return for
   * each of them, without a generator per line); the last, unfinished line is left to it.
   */
  private readJsonLinesAtHand(): void {
    const text = this.chunk
    for (;;) {
      const start = this.i
      const nl = text.indexOf('\n', start)
      if (nl < 0 || nl - start > MAX_VALUE_CHARS) return
      const lineNumber = this.line
      this.i = nl + 1
      this.line++
      this.column = 0
      readJsonLine(text.slice(start, nl), lineNumber, this.sink)
    }
  }

  /** JSON values one after another, arrays and lists item by item. */
  private *readJsonValues(): Read<void> {
    for (;;) {
      yield* this.skipBlanks()
      const c = yield* this.peek()
      if (c < 0) return
      this.pending = this.sink.mark()
      let complete: boolean
      if (c === OPEN_ARRAY) complete = yield* this.readTopArray()
      else if (c === OPEN_OBJECT) {
        complete =
          this.readObjectAtHand() ||
          ((yield* this.joinNextChunk()) && this.readObjectAtHand()) ||
          (yield* this.readTopObject())
      } else complete = yield* this.readTopScalar()
      if (!complete) {
        this.sink.rollback(this.pending)
        this.pending = undefined
        this.reportStop()
        return
      }
      this.pending = undefined
    }
  }

  /** Set by the readers below when they stop on a refused value, reported after the rollback. */
  private refusedAt: number | undefined
  /** Set by the readers below when they stop on a syntax error, reported after the rollback. */
  private syntaxError: { message: string; line: number; column?: number } | undefined

  private reportStop(): void {
    if (this.refusedAt !== undefined) this.sink.fatal(VALUE_TOO_LARGE, this.refusedAt)
    else if (this.syntaxError) {
      const { message, line, column } = this.syntaxError
      this.sink.error(message, line, column)
    }
  }

  private *readTopScalar(): Read<boolean> {
    const unit = yield* this.readUnit()
    if (unit === TOO_LARGE) return false
    const value = this.parseUnit(unit)
    if (value === TOO_LARGE) return false
    this.sink.addValue(value, { line: unit.line, path: 'event' })
    return true
  }

  /** A top-level array: its elements one by one. */
  private *readTopArray(): Read<boolean> {
    this.take(this.i + 1) // [
    return yield* this.readElements((value, index, line) =>
      this.sink.addArrayElement(value, index, line),
    )
  }

  /** The elements of an array whose `[` was just read, up to and including its `]`. */
  private *readElements(add: (value: unknown, index: number, line: number) => void): Read<boolean> {
    yield* this.skipBlanks()
    if ((yield* this.peek()) === CLOSE_ARRAY) {
      this.take(this.i + 1)
      return true
    }
    for (let index = 0; ; index++) {
      let atHand = this.readElementAtHand(add, index)
      if (atHand === NOT_AT_HAND && (yield* this.joinNextChunk())) {
        atHand = this.readElementAtHand(add, index)
      }
      if (atHand === NEXT_AT_HAND) continue
      if (atHand === NOT_AT_HAND) {
        const unit = yield* this.readUnit()
        if (unit === TOO_LARGE) return false
        const value = this.parseUnit(unit)
        if (value === TOO_LARGE) return false
        add(value, index, unit.line)
      }
      yield* this.skipBlanks()
      const c = yield* this.peek()
      if (c === COMMA) {
        this.take(this.i + 1)
        yield* this.skipBlanks()
      } else if (c === CLOSE_ARRAY) {
        this.take(this.i + 1)
        return true
      } else {
        return yield* this.unexpected("',' or ']'")
      }
    }
  }

  /**
   * The array element at the cursor, read without framing it bracket by bracket when the chunk
   * at hand holds all of it: its end is guessed from the layout (`guessObjectEnd`) and the guess
   * is proved by JSON.parse itself. A JSON object is never a prefix of a longer one, so a slice
   * from the element's `{` to a `}` that parses as an object is exactly the element (what the
   * framing below would have cut, with the same value). Anything else (a wrong guess, an element
   * that goes on in the next chunk, a syntax error) is NOT_AT_HAND: the framing below reads the
   * element as it always did, and reports what is wrong with it.
   *
   * Past the element, the `,` and the blanks after it are consumed when the next element starts
   * in this chunk (NEXT_AT_HAND); otherwise the cursor stays right after the element
   * (DONE_AT_HAND), where the caller looks for `,` or `]`.
   */
  private readElementAtHand(
    add: (value: unknown, index: number, line: number) => void,
    index: number,
  ): ElementAtHand {
    if (!this.guessing) return NOT_AT_HAND
    const text = this.chunk
    const start = this.i
    if (text.charCodeAt(start) !== OPEN_OBJECT) return NOT_AT_HAND
    const end = this.guessObjectEnd(text, start, MAX_VALUE_CHARS)
    if (end < 0) return this.missedGuess()
    const unitText = text.slice(start, end)
    let value: unknown
    try {
      value = JSON.parse(unitText)
    } catch {
      return this.missedGuess()
    }
    this.guessHits++
    const line = this.line
    this.consume(unitText)
    add(value, index, line)
    let next = skipJsonWhitespace(text, end)
    if (text.charCodeAt(next) !== COMMA) return DONE_AT_HAND
    next = skipJsonWhitespace(text, next + 1)
    if (next >= text.length) return DONE_AT_HAND
    this.take(next)
    return NEXT_AT_HAND
  }

  /**
   * A top-level object (`kubectl get events -w -o json` prints one after another) read whole when
   * the chunk at hand holds it, its end guessed and proved as in `readElementAtHand`; false when
   * not, leaving the cursor where it was. An object with an `items` array is left to
   * `readTopObject` too, which reads such items one by one with their own lines: for that reason
   * only objects up to MAX_OBJECT_AT_HAND are tried, so that a big list is never parsed twice.
   */
  private readObjectAtHand(): boolean {
    if (!this.guessing) return false
    const text = this.chunk
    const start = this.i
    const end = this.guessObjectEnd(text, start, MAX_OBJECT_AT_HAND)
    if (end < 0) {
      this.missedGuess()
      return false
    }
    const unitText = text.slice(start, end)
    let value: Record<string, unknown>
    try {
      value = JSON.parse(unitText) as Record<string, unknown>
    } catch {
      this.missedGuess()
      return false
    }
    this.guessHits++
    if (Object.prototype.hasOwnProperty.call(value, 'items') && Array.isArray(value.items)) {
      return false
    }
    const line = this.line
    this.consume(unitText)
    this.sink.addValue(value, { line, path: 'event' })
    return true
  }

  /**
   * After an object starting near the end of the chunk was not at hand: joins the next chunk on,
   * so that an object cut by a chunk boundary (one in every chunk) can be read at hand too. False
   * when there is no point (guesses given up, not an object, far from the end) or no next chunk.
   */
  private *joinNextChunk(): Read<boolean> {
    const rest = this.chunk.length - this.i
    if (!this.guessing || rest >= JOIN_LIMIT) return false
    if (this.chunk.charCodeAt(this.i) !== OPEN_OBJECT) return false
    return yield* this.fill(rest + 1)
  }

  /** Whether end guesses are still worth trying, and how they went so far. */
  private guessing = true
  private guessHits = 0
  private guessMisses = 0

  /**
   * A guess that found no end in the chunk or did not parse. Some are expected (the last element
   * of each chunk); when they are frequent, the layout is not one the guesses know, and this
   * source stops guessing: each miss costs a search of the chunk and, at worst, a parse.
   */
  private missedGuess(): typeof NOT_AT_HAND {
    this.guessMisses++
    if (this.guessMisses >= 8 && this.guessMisses * 4 > this.guessHits) this.guessing = false
    return NOT_AT_HAND
  }

  /**
   * The layout of the last guess: the indentation of its `{` line (INDENTED), or its `{"key"`
   * and the `},{"key"` searched for (NEXT_KEY). Rebuilt only when the layout changes.
   */
  private endKind: typeof INDENTED | typeof NEXT_KEY | undefined
  private endStem = ''
  private endNeedle = ''

  /**
   * Where the object starting at text[start] probably ends (just past its `}`), or -1 (also when
   * that is more than `limit` characters on):
   * - pretty-printed (`{` ends its line, as `kubectl`, `jq` and JSON.stringify with an indent write
   *   it): at the first `}` that starts a line with the indentation of the `{` line;
   * - compact (`{"key"…`, as the API server writes a list): just before the next element that
   *   starts with the same key, `},{"key"`.
   * Only a guess: a line break is never inside a JSON string, but a nested object may repeat the
   * pattern; the caller proves it.
   */
  private guessObjectEnd(text: string, start: number, limit: number): number {
    const second = text.charCodeAt(start + 1)
    if (second === LINE_FEED || second === CARRIAGE_RETURN) {
      let lineStart = start
      while (lineStart > 0) {
        const c = text.charCodeAt(lineStart - 1)
        if (c !== SPACE && c !== TAB) break
        lineStart--
      }
      if (lineStart > 0) {
        if (text.charCodeAt(lineStart - 1) !== LINE_FEED) return -1 // `[{` or `}, {`: no guess
        this.useNeedle(text, lineStart, start, INDENTED)
      } else if (this.endKind !== INDENTED) {
        return -1 // the chunk starts in this line: only the last indentation can be tried
      }
      // Found from the `}`, which is rare, rather than from the line break, which is not: a
      // search for the whole `\n<indent>}` is several times slower.
      const indent = this.endStem
      for (let at = text.indexOf('}', start + 1); at >= 0; at = text.indexOf('}', at + 1)) {
        if (at >= start + limit) return -1
        const lineBreak = at - indent.length - 1
        if (
          lineBreak > start &&
          text.charCodeAt(lineBreak) === LINE_FEED &&
          text.startsWith(indent, lineBreak + 1)
        ) {
          return at + 1
        }
      }
      return -1
    }
    if (second === QUOTE) {
      const keyEnd = text.indexOf('"', start + 2)
      if (keyEnd < 0) return -1
      this.useNeedle(text, start, keyEnd + 1, NEXT_KEY)
      const at = text.indexOf(this.endNeedle, start + 1)
      return at < 0 || at >= start + limit ? -1 : at + 1
    }
    return -1
  }

  /** Makes text[from, to) the stem of the guesses, for a layout of this kind. */
  private useNeedle(
    text: string,
    from: number,
    to: number,
    kind: typeof INDENTED | typeof NEXT_KEY,
  ): void {
    const stem = this.endStem
    if (this.endKind === kind && stem.length === to - from && text.startsWith(stem, from)) return
    this.endKind = kind
    this.endStem = text.slice(from, to)
    this.endNeedle = kind === NEXT_KEY ? `},${this.endStem}` : ''
  }

  /**
   * A top-level object. Its `items`, when an array, are read item by item and stand in the
   * object as `[]`; the rest of it (apiVersion, kind, metadata) is kept as text and parsed at the
   * end. If the object turns out not to be a list (`kind: Event` wins), the items are dropped
   * and the object is read as one value.
   */
  private *readTopObject(): Read<boolean> {
    const line = this.line
    const start = this.sink.mark()
    const parts: string[] = ['{']
    let size = 1
    let itemsRead = false
    this.take(this.i + 1) // {
    yield* this.skipBlanks()
    if ((yield* this.peek()) === CLOSE_OBJECT) {
      this.take(this.i + 1)
    } else {
      for (;;) {
        if ((yield* this.peek()) !== QUOTE) {
          return yield* this.unexpected('a double-quoted property name')
        }
        const keyUnit = yield* this.readUnit()
        if (keyUnit === TOO_LARGE) return false
        const key = this.parseUnit(keyUnit)
        if (key === TOO_LARGE) return false
        yield* this.skipBlanks()
        if ((yield* this.peek()) !== COLON) {
          return yield* this.unexpected("':' after a property name")
        }
        this.take(this.i + 1)
        yield* this.skipBlanks()
        if (key === 'items') {
          // JSON.parse keeps the last of duplicate keys: so does this.
          this.sink.rollback(start)
          itemsRead = false
        }
        if (key === 'items' && (yield* this.peek()) === OPEN_ARRAY) {
          this.take(this.i + 1)
          const complete = yield* this.readElements((value, index, itemLine) =>
            this.sink.addListItem(value, index, itemLine),
          )
          if (!complete) return false
          itemsRead = true
          parts.push(keyUnit.text, ':[]')
          size += keyUnit.text.length + 3
        } else {
          const unit = yield* this.readUnit()
          if (unit === TOO_LARGE) return false
          if (this.parseUnit(unit) === TOO_LARGE) return false
          parts.push(keyUnit.text, ':', unit.text)
          size += keyUnit.text.length + 1 + unit.text.length
        }
        if (size > MAX_VALUE_CHARS) {
          this.refusedAt = line
          return false
        }
        yield* this.skipBlanks()
        const c = yield* this.peek()
        if (c === COMMA) {
          this.take(this.i + 1)
          parts.push(',')
          yield* this.skipBlanks()
        } else if (c === CLOSE_OBJECT) {
          this.take(this.i + 1)
          break
        } else {
          return yield* this.unexpected("',' or '}'")
        }
      }
    }
    parts.push('}')
    const envelope = JSON.parse(parts.join('')) as Record<string, unknown>
    if (itemsRead && this.sink.isList(envelope)) return true
    this.sink.rollback(start)
    this.sink.addValue(envelope, { line, path: 'event' })
    return true
  }

  /** A syntax error at the cursor, worded as json-scan words it. */
  private *unexpected(expected: string): Read<boolean> {
    yield* this.fill(2)
    const what = describeAt(this.chunk, this.i)
    this.syntaxError = {
      message: `invalid JSON: unexpected ${what}, expected ${expected}`,
      line: this.line,
      column: this.column + 1,
    }
    return false
  }

  /**
   * Cuts one JSON value out of the input, starting at the cursor: a container up to its closing
   * bracket, a string up to its closing quote, a number or literal up to where json-scan ends
   * it. Brackets are only counted here; the text is checked by JSON.parse. Where the text cannot
   * be JSON (a mismatched bracket, a raw control character in a string) the cut ends there, so
   * the check reports the error without reading further.
   */
  private *readUnit(): Read<Unit | typeof TOO_LARGE> {
    const line = this.line
    const column = this.column + 1
    const pieces: string[] = []
    let size = 0
    const takeUpTo = (end: number): void => {
      const piece = this.take(end)
      pieces.push(piece)
      size += piece.length
    }
    const tooLarge = (): typeof TOO_LARGE => {
      this.refusedAt = line
      return TOO_LARGE
    }

    if (!(yield* this.fill(2)) && this.i >= this.chunk.length) return { text: '', line, column }
    const first = this.chunk.charCodeAt(this.i)
    if (first !== OPEN_OBJECT && first !== OPEN_ARRAY && first !== QUOTE) {
      return yield* this.readScalarUnit(line, column)
    }

    const stack: number[] = []
    let inString = false
    let escaped = false
    let complete = false
    while (!complete && (yield* this.fill())) {
      const text = this.chunk
      // Never scan past the limit in one go: a huge chunk is refused as soon as a stream.
      const limit = Math.min(text.length, this.i + MAX_VALUE_CHARS + 1 - size)
      let j = this.i
      if (escaped) {
        escaped = false
        j++
      }
      while (j < limit) {
        const pattern = inString ? STRING_STOP : STRUCTURE
        pattern.lastIndex = j
        const match = pattern.exec(text)
        if (match === null || match.index >= limit) {
          j = limit
          break
        }
        const at = match.index
        const c = text.charCodeAt(at)
        j = at + 1
        if (inString) {
          if (c === QUOTE) {
            inString = false
            complete = stack.length === 0
          } else if (c === BACKSLASH) {
            if (at + 1 < text.length) j = at + 2
            else escaped = true
          } else {
            complete = true // a raw control character: not JSON, stop here
          }
        } else if (c === QUOTE) {
          j = at + match[0].length
          if (match[1] === undefined) inString = true
          else complete = stack.length === 0
        } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
          stack.push(c)
        } else {
          const open = stack.pop()
          const matches = c === CLOSE_OBJECT ? open === OPEN_OBJECT : open === OPEN_ARRAY
          complete = !matches || stack.length === 0
        }
        if (complete) break
      }
      // One slice per chunk (or per value), not per bracket or quote.
      takeUpTo(j)
      if (size > MAX_VALUE_CHARS) return tooLarge()
    }
    if (size > MAX_VALUE_CHARS) return tooLarge()
    return { text: pieces.join(''), line, column }
  }

  /** A number or literal (or the character that cannot start a value, for the error). */
  private *readScalarUnit(line: number, column: number): Read<Unit | typeof TOO_LARGE> {
    let text = ''
    while (yield* this.fill()) {
      let end = this.i
      while (end < this.chunk.length && isScalarChar(this.chunk.charCodeAt(end))) end++
      if (text.length + end - this.i > MAX_VALUE_CHARS) {
        this.refusedAt = line
        return TOO_LARGE
      }
      text += this.take(end)
      if (end < this.chunk.length) break
    }
    if (text === '') {
      // Not a value at all: one code point, for json-scan to name.
      yield* this.fill(2)
      const code = this.chunk.codePointAt(this.i)
      text = code === undefined ? '' : this.take(this.i + (code > 0xffff ? 2 : 1))
      return { text, line, column }
    }
    const scan = scanJsonValue(text, 0)
    if (scan.ok && scan.end < text.length) {
      this.untake(text.slice(scan.end))
      text = text.slice(0, scan.end)
    }
    return { text, line, column }
  }

  /** The unit's value, or TOO_LARGE (standing for "stop") after recording its syntax error. */
  private parseUnit(unit: Unit): unknown {
    try {
      return JSON.parse(unit.text)
    } catch (e) {
      const scan = scanJsonValue(unit.text, 0)
      if (scan.ok) {
        this.syntaxError = { message: `invalid JSON: ${errorMessage(e)}`, line: unit.line }
      } else {
        const before = unit.text.slice(0, scan.at)
        const lines = countLines(before)
        const column = lines === 0 ? unit.column + scan.at : scan.at - before.lastIndexOf('\n')
        this.syntaxError = {
          message: `invalid JSON: ${scan.reason}`,
          line: unit.line + lines,
          column,
        }
      }
      return TOO_LARGE
    }
  }

  /**
   * YAML, split into documents on `---` and `...` lines and parsed one document at a time.
   * Comments and directives before a `---` stay with the document they precede.
   */
  private *readYaml(blanks: string): Read<void> {
    let parts: string[] = []
    let size = 0
    let startLine = this.line
    let hasContent = false
    const flush = (): void => {
      if (parts.length > 0) readYamlDocuments(parts.join(''), startLine, this.sink)
      parts = []
      size = 0
      hasContent = false
    }
    for (let first = true; ; first = false) {
      const lineNumber = this.line
      const read = yield* this.readLine(MAX_VALUE_CHARS - size)
      if (read === TOO_LARGE) {
        this.sink.fatal(VALUE_TOO_LARGE, parts.length > 0 ? startLine : lineNumber)
        return
      }
      if (!read.more) break
      const text = first ? blanks + read.text : read.text
      const isStart = YAML_DOCUMENT_START.test(text)
      if (isStart && hasContent) flush()
      if (parts.length === 0) startLine = lineNumber
      // The exact text, line break included: a `|+` block scalar keeps its trailing breaks.
      parts.push(read.newline ? `${text}\n` : text)
      size += text.length + 1
      if (isStart || isYamlContent(text)) hasContent = true
      if (YAML_DOCUMENT_END.test(text)) flush()
    }
    flush()
  }
}

/** A line that belongs to a document (not blank, a comment or a directive). */
function isYamlContent(line: string): boolean {
  const trimmed = line.trim()
  return trimmed !== '' && !trimmed.startsWith('#') && !line.startsWith('%')
}

/** One NDJSON line: parsed on its own; a bad line is a Problem with its line and column. */
export function readJsonLine<M>(line: string, lineNumber: number, sink: ValueSink<M>): void {
  // (a line that starts with a bracket is not blank: no need to trim it to know)
  const first = line.charCodeAt(0)
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY && line.trim() === '') return
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    const { reason, column } = locateJsonError(line)
    sink.error(`invalid JSON: ${reason}`, lineNumber, column)
    sink.skipPosition()
    return
  }
  sink.addValue(value, { line: lineNumber, path: 'event' })
}

function locateJsonError(text: string): { reason: string; column: number } {
  const scan = scanJsonValue(text, 0)
  if (!scan.ok) return { reason: scan.reason, column: scan.at + 1 }
  const rest = skipJsonWhitespace(text, scan.end)
  return { reason: 'unexpected data after the JSON value', column: rest + 1 }
}

/** The YAML documents of `text`, whose first line is line `firstLine` of the source. */
function readYamlDocuments<M>(text: string, firstLine: number, sink: ValueSink<M>): void {
  const lineCounter = new LineCounter()
  const lineAt = (offset: number) => {
    const at = lineCounter.linePos(offset)
    return { line: at.line + firstLine - 1, col: at.col }
  }
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false })
  if (!Array.isArray(documents)) return // only comments or directives
  for (const doc of documents) {
    const firstError = doc.errors[0]
    if (firstError) {
      const at = lineAt(firstError.pos[0])
      sink.error(`invalid YAML: ${firstLineOf(firstError.message)}`, at.line, at.col)
      sink.skipPosition()
      continue
    }
    const contents = doc.contents
    if (contents === null) continue
    const line = contents.range ? lineAt(contents.range[0]).line : undefined
    if (isScalar(contents)) {
      // Plain text (e.g. the `flux events` table) parses as one YAML string.
      sink.error(
        'not JSON or YAML events (expected Flux events, a Kubernetes Event list or a ' +
          'repository_dispatch payload)',
        line,
      )
      sink.skipPosition()
      continue
    }
    let value: unknown
    try {
      // Refuses alias bombs: a small document expanding to a huge value.
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (e) {
      sink.error(`invalid YAML: ${errorMessage(e)}`, line)
      sink.skipPosition()
      continue
    }
    const itemLine = (index: number): number | undefined => {
      const seq = isSeq(contents) ? contents : isMap(contents) ? contents.get('items', true) : null
      const node = isSeq(seq) ? seq.items[index] : undefined
      const range = (node as { range?: [number, number, number] } | undefined)?.range
      return range ? lineAt(range[0]).line : undefined
    }
    sink.addValue(value, { line, path: 'event', itemLine })
  }
}

/** Characters that can continue a number or a literal (true, false, null): [A-Za-z0-9+.-]. */
function isScalarChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e
  )
}

function countLines(text: string): number {
  let count = 0
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) count++
  return count
}

function firstLineOf(message: string): string {
  return message.split('\n', 1)[0] ?? message
}

export function errorMessage(e: unknown): string {
  return firstLineOf(e instanceof Error ? e.message : String(e))
}
