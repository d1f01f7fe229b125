/** `telegram` (reference §5.12): goldens of §8.1 / §8.2, MarkdownV2 escaping, URL, limits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deliver } from '../../src/delivery/deliver.js'
import { sendRequest } from '../../src/delivery/http.js'
import type { FluxEvent } from '../../src/events/model.js'
import type { Alert, Secret } from '../../src/manifests/model.js'
import { resolveProvider } from '../../src/manifests/resolve.js'
import { escapeMarkdownV2, telegram } from '../../src/providers/telegram.js'
import type { HttpRequestSpec, ResolvedProvider } from '../../src/providers/types.js'
import type { Decision } from '../../src/results.js'
import type { Plan } from '../../src/routing/plan.js'
import { startRecorder } from '../servers/recorder.js'
import type { Recorder } from '../servers/recorder.js'
import {
  errorTestEvent,
  providerManifest,
  resolvedProvider,
  testEvent,
} from '../support/factories.js'

const TOKEN = '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11'

/** §8.1, channel `-100:7`: the exact bytes. */
const INFO_BODY = String.raw`{"chat_id":"-100","message_thread_id":"7","text":"*💫 gitrepository/webapp/gitops\\-system*\nmessage\n\\- *test*: metadata\n","parse_mode":"MarkdownV2"}`

/** §8.2's text, as it appears in the body. */
const ERROR_TEXT = String.raw`"*🚨 gitrepository/webapp/gitops\\-system*\napply failed: \u003cb\\\u003e\u0026\"x\"\u003c/b\\\u003e\nsecond line\n\\- *test*: metadata\n"`

function resolved(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return resolvedProvider('telegram', {
    provider: providerManifest('telegram', { channel: '-100:7', address: '' }),
    address: '',
    channel: '-100:7',
    token: TOKEN,
    ...overrides,
  })
}

function render(event: FluxEvent, provider: ResolvedProvider = resolved()): HttpRequestSpec {
  const rendered = telegram.render({ event, alert: {} as Alert, provider })
  if (!('requests' in rendered)) throw new Error(`skipped: ${rendered.skip}`)
  expect(rendered.requests).toHaveLength(1)
  return rendered.requests[0]!
}

function text(request: HttpRequestSpec): string {
  return (JSON.parse(request.body as string) as { text: string }).text
}

describe('telegram goldens', () => {
  it('§8.1: testEvent, channel -100:7', () => {
    const request = render(testEvent())
    expect(request.method).toBe('POST')
    expect(request.url).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`)
    expect(request.headers).toEqual({ 'Content-Type': 'application/json' })
    expect(request.body).toBe(INFO_BODY)
  })

  it('§8.1 telegram_test.go: sorted metadata lines with escaped keys and values', () => {
    const event = testEvent()
    event.metadata = { test: 'metadata', 'kubernetes.io/somekey': 'some.value' }
    expect(text(render(event)).split('\n')).toEqual([
      String.raw`*💫 gitrepository/webapp/gitops\-system*`,
      'message',
      String.raw`\- *kubernetes\.io/somekey*: some\.value`,
      String.raw`\- *test*: metadata`,
      '',
    ])
  })

  it('§8.2: error event, `>` escaped and `<` not', () => {
    const body = render(errorTestEvent()).body as string
    expect(body).toBe(
      `{"chat_id":"-100","message_thread_id":"7","text":${ERROR_TEXT},"parse_mode":"MarkdownV2"}`,
    )
  })

  it('no metadata: heading and message only', () => {
    const event = testEvent()
    delete event.metadata
    expect(text(render(event))).toBe('*💫 gitrepository/webapp/gitops\\-system*\nmessage\n')
  })
})

describe('MarkdownV2 escaping', () => {
  it('puts a backslash before each reserved character', () => {
    for (const c of ['\\', '.', '-', '_', '[', ']', '(', ')', '~', '>', '`', '#', '+', '=', '|']) {
      expect(escapeMarkdownV2(`a${c}b`)).toBe(`a\\${c}b`)
    }
    for (const c of ['{', '}', '!', '*']) expect(escapeMarkdownV2(`a${c}b`)).toBe(`a\\${c}b`)
  })

  it('leaves `<`, letters, spaces, quotes and emoji alone', () => {
    expect(escapeMarkdownV2(`<b> "x" & 'y' 🚀`)).toBe(`<b\\> "x" & 'y' 🚀`)
  })

  it('escapes backslashes first, so inserted backslashes are not escaped again', () => {
    // an input backslash doubles; the `.` after it gets one backslash of its own
    expect(escapeMarkdownV2('a\\.b')).toBe('a\\\\\\.b')
    expect(escapeMarkdownV2('..')).toBe('\\.\\.')
    expect(escapeMarkdownV2('\\\\')).toBe('\\\\\\\\')
  })
})

describe('telegram channel and thread', () => {
  const body = (channel: string) =>
    JSON.parse(render(testEvent(), resolved({ channel })).body as string) as Record<string, string>

  it('a channel without `:` has no thread', () => {
    expect(body('@fluxtest')).toEqual(expect.objectContaining({ chat_id: '@fluxtest' }))
    expect(body('@fluxtest')).not.toHaveProperty('message_thread_id')
  })

  it('splits at the first `:` only', () => {
    const b = body('-100123:7:8')
    expect(b.chat_id).toBe('-100123')
    expect(b.message_thread_id).toBe('7:8')
  })

  it('an empty thread is omitted', () => {
    expect(render(testEvent(), resolved({ channel: '-100:' })).body as string).toMatch(
      /^\{"chat_id":"-100","text":/,
    )
  })
})

describe('telegram URL', () => {
  const url = (address: string, token = TOKEN) =>
    render(testEvent(), resolved({ address, token })).url

  it('is api.telegram.org when there is no address (the controller ignores it)', () => {
    expect(url('')).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`)
  })

  it("Flux's documented address gives the same URL", () => {
    expect(url('https://api.telegram.org')).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`)
    expect(url('https://api.telegram.org/')).toBe(
      `https://api.telegram.org/bot${TOKEN}/sendMessage`,
    )
  })

  it('an http(s) address replaces the base (deviation), path joined, query kept', () => {
    expect(url('http://127.0.0.1:8081')).toBe(`http://127.0.0.1:8081/bot${TOKEN}/sendMessage`)
    expect(url('https://mirror.example/telegram/?k=v')).toBe(
      `https://mirror.example/telegram/bot${TOKEN}/sendMessage?k=v`,
    )
  })

  it('any other address is ignored, as the controller ignores it', () => {
    expect(url('api.telegram.org')).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`)
    expect(url('telegram://token@telegram')).toBe(
      `https://api.telegram.org/bot${TOKEN}/sendMessage`,
    )
  })

  it('a token that makes no URL fails the send with the parse error', () => {
    expect(() => url('', 'bad%zz')).toThrow(
      'failed to construct API URL: parse "https://api.telegram.org/botbad%zz/sendMessage": invalid URL escape "%zz"',
    )
  })
})

describe('telegram validate', () => {
  it('accepts a channel and a token, with no address', () => {
    expect(telegram.validate(resolved())).toBeUndefined()
  })

  it('rejects an empty channel, then an empty token', () => {
    expect(telegram.validate(resolved({ channel: '', token: '' }))).toBe('empty Telegram channel')
    expect(telegram.validate(resolved({ token: '' }))).toBe('empty Telegram token')
  })

  it('is a notification type', () => {
    expect(telegram.class).toBe('notification')
  })
})

describe('telegram length limit (4,096 characters as shown)', () => {
  // Shown: "💫 gitrepository/webapp/gitops-system" (37 UTF-16 units) + "\n" + message + "\n" +
  // "- test: metadata\n" (17): 56 + the message, so 4,040 units are left for it.
  const withMessage = (message: string) => text(render({ ...testEvent(), message }))

  it('a message that just fits is sent whole', () => {
    const message = 'a'.repeat(4040)
    expect(withMessage(message)).toBe(
      `*💫 gitrepository/webapp/gitops\\-system*\n${message}\n\\- *test*: metadata\n`,
    )
  })

  it('one more character cuts the message, with … at its end', () => {
    expect(withMessage('a'.repeat(4041))).toBe(
      `*💫 gitrepository/webapp/gitops\\-system*\n${'a'.repeat(4039)}…\n\\- *test*: metadata\n`,
    )
  })

  it('escapes do not count and are never split', () => {
    const sent = withMessage('.'.repeat(5000))
    expect(sent).toBe(
      `*💫 gitrepository/webapp/gitops\\-system*\n${'\\.'.repeat(4039)}…\n\\- *test*: metadata\n`,
    )
  })

  it('cuts between code points, never inside a surrogate pair', () => {
    // each 😀 is two UTF-16 units: 2019 of them and the marker make 4,039 units
    const sent = withMessage('😀'.repeat(3000))
    expect(sent).toBe(
      `*💫 gitrepository/webapp/gitops\\-system*\n${'😀'.repeat(2019)}…\n\\- *test*: metadata\n`,
    )
    expect(sent.isWellFormed()).toBe(true)
  })

  it('a huge metadata value is cut too, and the message stays whole', () => {
    const event = { ...testEvent(), metadata: { test: 'metadata', log: 'x'.repeat(10_000) } }
    const sent = text(render(event))
    expect(sent.startsWith('*💫 gitrepository/webapp/gitops\\-system*\nmessage\n')).toBe(true)
    expect(sent).toMatch(/\n\\- \*log\*: x+…\n\\- \*test\*: metadata\n$/)
    // what Telegram shows: without the escapes and the bold markers
    const shown = sent.replace(/\\(.)/g, '$1').replace(/\*/g, '')
    expect(shown.length).toBeLessThanOrEqual(4096)
    expect(shown.length).toBeGreaterThan(4000)
  })
})

describe('telegram over loopback', () => {
  let recorder: Recorder
  beforeEach(async () => {
    recorder = await startRecorder()
  })
  afterEach(async () => {
    await recorder.close()
  })

  it('the request arrives as rendered, token in the path', async () => {
    const request = render(testEvent(), resolved({ address: recorder.url }))
    await sendRequest(request, { signal: AbortSignal.timeout(10_000) })
    const [received] = recorder.requests
    expect(received!.method).toBe('POST')
    expect(received!.path).toBe(`/bot${TOKEN}/sendMessage`)
    expect(received!.headers['content-type']).toBe('application/json')
    expect(received!.body).toBe(INFO_BODY)
  })

  it("a failed send reports the URL with the secret's token masked", async () => {
    recorder.setDefault({ status: 503 })
    const secret: Secret = {
      metadata: { name: 'telegram-token', namespace: 'flux-system' },
      data: { token: TOKEN },
      location: { file: 'secrets.yaml', line: 1 },
    }
    const manifest = providerManifest('telegram', {
      name: 'telegram',
      namespace: 'flux-system',
      channel: '-100:7',
      address: recorder.url,
      secretRef: { name: 'telegram-token' },
    })
    const provider = resolveProvider(manifest, new Map([['flux-system/telegram-token', secret]]))
    if ('error' in provider) throw new Error(provider.error)
    expect(provider.token).toBe(TOKEN)
    expect(provider.secretValues).toContain(TOKEN)

    const decision: Decision = {
      event: 'GitRepository/gitops-system/webapp',
      eventReason: 'reason',
      severity: 'info',
      timestamp: '2022-09-30T06:40:29Z',
      source: 'events.json#0',
      provider: provider.key,
      type: 'telegram',
      outcome: 'dry-run',
      reason: 'planned',
    }
    const plan: Plan = {
      decisions: [decision],
      deliveries: [
        { decision, notification: { event: testEvent(), alert: {} as Alert, provider } },
      ],
      warnings: [],
    }
    await deliver(plan, { dryRun: false, sleep: async () => {} })

    expect(recorder.requests).toHaveLength(5)
    expect(decision.outcome).toBe('failed')
    expect(decision.reason).toBe(
      // telegram returns postMessage's error as it is: its layer, no prefix of the type's own
      `failed to execute request: POST ${recorder.url}/bot*****/sendMessage giving up after 5 attempt(s): unexpected HTTP status 503 Service Unavailable`,
    )
    expect(decision.reason).not.toContain('ABC-DEF')
  })
})
