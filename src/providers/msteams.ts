/**
 * `msteams` (reference §5.6, the controller's `teams.go`). Two bodies, chosen by the address:
 * - a legacy Office 365 connector (host ending in `.webhook.office.com`) gets a `MessageCard`;
 * - anything else (Teams Workflows / Power Automate, `…logic.azure.com…`) gets an Adaptive Card.
 */
import type { FluxEvent } from '../events/model.js'
import { goJson, sortedKeys } from '../util/go-json.js'
import { parseRequestUri } from '../util/go-url.js'
import { cutToFit, utf8Length } from './limits.js'
import { objName } from './slack.js'
import { POST_MESSAGE_FAILED, viaPostMessage } from './post-json.js'
import type { NotifierModule, Notification } from './types.js'
import { validateMsTeams } from './validate/notifiers.js'

/**
 * Teams refuses a message over 28 KB (Microsoft Learn, "Create an Incoming Webhook" / "Send
 * messages using Workflows": "The message size limit is 28 KB"). Teams measures the activity it
 * builds, which we cannot see, so we keep our whole JSON body under 28,000 bytes (decimal KB, the
 * stricter reading).
 */
export const TEAMS_MAX_BODY_BYTES = 28_000

export type TeamsSchema = 'message-card' | 'adaptive-card'

/**
 * The controller's rule: the host up to its first `:` (the port stripped, naively) ends with
 * `.webhook.office.com` → the deprecated connector; everything else → Adaptive Card.
 */
export function teamsSchema(address: string): TeamsSchema {
  const parsed = parseRequestUri(address)
  const host = 'error' in parsed ? '' : parsed.url.host
  return (host.split(':')[0] ?? '').endsWith('.webhook.office.com')
    ? 'message-card'
    : 'adaptive-card'
}

interface Fact {
  key: string
  value: string
}

/** Cuts the message and the fact values (only ever when the body is over Teams' limit). */
function withinLimit(
  message: string,
  facts: Fact[],
  render: (message: string, facts: Fact[]) => string,
): string {
  const [text = '', ...values] = cutToFit(
    [message, ...facts.map((f) => f.value)],
    (texts) =>
      utf8Length(render(texts[0]!, rebuild(facts, texts.slice(1)))) <= TEAMS_MAX_BODY_BYTES,
  )
  return render(text, rebuild(facts, values))
}

function rebuild(facts: Fact[], values: string[]): Fact[] {
  return facts.map((fact, i) => ({ key: fact.key, value: values[i]! }))
}

/** The legacy `MessageCard`: facts sorted by key (upstream: map order), `[]` when none. */
export function messageCardBody(event: FluxEvent): string {
  const name = objName(event)
  const metadata = event.metadata ?? {}
  const facts = sortedKeys(Object.keys(metadata)).map((key) => ({ key, value: metadata[key]! }))
  const render = (message: string, cut: Fact[]) =>
    goJson({
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      themeColor: event.severity === 'error' ? 'FF0000' : '0076D7',
      summary: name,
      sections: [
        {
          activityTitle: message,
          activitySubtitle: name,
          facts: cut.map((f) => ({ name: f.key, value: f.value })),
        },
      ],
    })
  return withinLimit(event.message, facts, render)
}

/**
 * The Adaptive Card (version 1.4, the newest Teams renders). Facts: `summary` first, the rest
 * sorted by key, as upstream does; no metadata leaves the FactSet without `facts`. Every
 * `omitempty` of upstream's structs is kept, so an empty message drops the `text` key.
 */
export function adaptiveCardBody(event: FluxEvent): string {
  const name = objName(event)
  const metadata = event.metadata ?? {}
  const facts: Fact[] = []
  if ('summary' in metadata) facts.push({ key: 'summary', value: metadata['summary']! })
  for (const key of sortedKeys(Object.keys(metadata))) {
    if (key !== 'summary') facts.push({ key, value: metadata[key]! })
  }
  const render = (message: string, cut: Fact[]) =>
    goJson({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              {
                type: 'Container',
                items: [
                  { type: 'TextBlock', text: name, size: 'large', weight: 'bolder', wrap: true },
                  {
                    type: 'TextBlock',
                    text: message || undefined,
                    color: event.severity === 'error' ? 'attention' : undefined,
                    wrap: true,
                  },
                  {
                    type: 'FactSet',
                    facts:
                      cut.length > 0
                        ? cut.map((f) => ({ title: f.key, value: f.value }))
                        : undefined,
                  },
                ],
              },
            ],
            msteams: { width: 'Full' },
          },
        },
      ],
    })
  return withinLimit(event.message, facts, render)
}

export const msteams: NotifierModule = {
  type: 'msteams',
  class: 'notification',
  validate: validateMsTeams,
  render(notification: Notification) {
    const { event, provider } = notification
    const body =
      teamsSchema(provider.address) === 'message-card'
        ? messageCardBody(event)
        : adaptiveCardBody(event)
    return {
      requests: [
        {
          method: 'POST',
          url: provider.address,
          headers: { 'Content-Type': 'application/json' },
          body,
          ...viaPostMessage(POST_MESSAGE_FAILED),
        },
      ],
    }
  },
}
