/**
 * Validation of an event source's `matchLabels`, as Kubernetes does when the controller turns it
 * into a selector (`metav1.LabelSelectorAsSelector`): every key must be a qualified name and every
 * value a valid label value. An invalid selector makes that event source match nothing (the
 * controller emits `InvalidConfig`, reference §2.4). Messages are Kubernetes' own wording
 * (`k8s.io/apimachinery/pkg/util/validation`), so they read like `kubectl` output.
 */

const QUALIFIED_NAME_FORMAT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FORMAT}$`)
const QUALIFIED_NAME_RULE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const QUALIFIED_NAME_MAX_LENGTH = 63

const LABEL_VALUE_FORMAT = `(${QUALIFIED_NAME_FORMAT})?`
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FORMAT}$`)
const LABEL_VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const LABEL_VALUE_MAX_LENGTH = 63

const DNS1123_LABEL_FORMAT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_SUBDOMAIN_FORMAT = `${DNS1123_LABEL_FORMAT}(\\.${DNS1123_LABEL_FORMAT})*`
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FORMAT}$`)
const DNS1123_SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253

/**
 * Kubernetes' "regex failed" explanation. The examples are joined as Kubernetes joins them, which
 * leaves two spaces before each `or`.
 */
function regexError(rule: string, format: string, ...examples: string[]): string {
  const shown = examples.map((example) => `'${example}', `).join(' or ')
  return `${rule} (e.g. ${shown}regex used for validation is '${format}')`
}

function maxLengthError(length: number): string {
  return `must be no more than ${length} characters`
}

/** Go measures strings in bytes; the limits are byte counts of the UTF-8 text. */
function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = []
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errors.push(maxLengthError(DNS1123_SUBDOMAIN_MAX_LENGTH))
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(regexError(DNS1123_SUBDOMAIN_RULE, DNS1123_SUBDOMAIN_FORMAT, 'example.com'))
  }
  return errors
}

/** Kubernetes' wording of the qualified-name rule, with its examples. */
function qualifiedNameRule(): string {
  return regexError(QUALIFIED_NAME_RULE, QUALIFIED_NAME_FORMAT, 'MyName', 'my.name', '123-abc')
}

/**
 * The problems with a label key (Kubernetes' `IsQualifiedName`): an optional DNS-1123 subdomain
 * prefix of at most 253 characters and a `/`, then a name of at most 63 alphanumerics, `-`, `_`
 * and `.` that starts and ends with an alphanumeric. Empty when the key is valid.
 */
export function labelKeyErrors(key: string): string[] {
  const errors: string[] = []
  const parts = key.split('/')
  let name: string
  if (parts.length === 1) {
    name = key
  } else if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix === '') errors.push('prefix part must be non-empty')
    else errors.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix part ${e}`))
  } else {
    return [
      `a qualified name ${qualifiedNameRule()} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]
  }
  if (name === '') errors.push('name part must be non-empty')
  else if (byteLength(name) > QUALIFIED_NAME_MAX_LENGTH) {
    errors.push(`name part ${maxLengthError(QUALIFIED_NAME_MAX_LENGTH)}`)
  }
  if (!QUALIFIED_NAME.test(name)) {
    errors.push(`name part ${qualifiedNameRule()}`)
  }
  return errors
}

/**
 * The problems with a label value (Kubernetes' `IsValidLabelValue`): empty, or at most 63
 * alphanumerics, `-`, `_` and `.` that start and end with an alphanumeric. Empty when valid.
 */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = []
  if (byteLength(value) > LABEL_VALUE_MAX_LENGTH) {
    errors.push(maxLengthError(LABEL_VALUE_MAX_LENGTH))
  }
  if (!LABEL_VALUE.test(value)) {
    errors.push(regexError(LABEL_VALUE_RULE, LABEL_VALUE_FORMAT, 'MyValue', 'my_value', '12345'))
  }
  return errors
}

/** One invalid `matchLabels` entry: which part is wrong and Kubernetes' error for it. */
export interface LabelSelectorError {
  /** the label key of the entry */
  key: string
  /** `key` when the key is invalid, `value` when its value is */
  part: 'key' | 'value'
  /**
   * Kubernetes' field error, e.g. `key: Invalid value: "-a": name part must consist of …` or
   * `values[0][app]: Invalid value: "a b": a valid label must be …`: the text the controller logs.
   */
  message: string
}

/**
 * Every invalid entry of a `matchLabels` map, in the map's order; empty when the selector is
 * valid. Kubernetes stops at the first invalid entry it meets (in Go's random map order); all of
 * them are listed here so each can be shown at its own line.
 */
export function labelSelectorErrors(
  matchLabels: Readonly<Record<string, string>>,
): LabelSelectorError[] {
  const found: LabelSelectorError[] = []
  for (const [key, value] of Object.entries(matchLabels)) {
    const keyErrors = labelKeyErrors(key)
    if (keyErrors.length > 0) {
      found.push({ key, part: 'key', message: invalidValue('key', key, keyErrors) })
    }
    const valueErrors = labelValueErrors(value)
    if (valueErrors.length > 0) {
      const field = `values[0][${key}]`
      found.push({ key, part: 'value', message: invalidValue(field, value, valueErrors) })
    }
  }
  return found
}

/** Kubernetes' `field.Invalid(…).Error()`: the value quoted as Go's `%q` would for plain text. */
function invalidValue(field: string, value: string, details: readonly string[]): string {
  return `${field}: Invalid value: ${JSON.stringify(value)}: ${details.join('; ')}`
}

// The selector of a loaded manifest never changes: remember the verdict per map, as routing asks
// again for every event that reaches the source.
const validity = new WeakMap<object, boolean>()

/** Whether Kubernetes would accept `matchLabels` as a selector (no entry is invalid). */
export function isValidLabelSelector(matchLabels: Readonly<Record<string, string>>): boolean {
  let valid = validity.get(matchLabels)
  if (valid === undefined) {
    valid = labelSelectorErrors(matchLabels).length === 0
    validity.set(matchLabels, valid)
  }
  return valid
}
