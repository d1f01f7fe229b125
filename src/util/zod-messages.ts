/**
 * `zod/mini` starts with no message locale, so every issue would read just "Invalid input". The
 * full `zod` build installs the English messages when it loads; schema modules call this so that
 * the messages users see (e.g. `Invalid input: expected string, received number`) stay the same
 * with the lighter build. Idempotent: the setting is global and the same each time.
 */
import { config } from 'zod/mini'
import en from 'zod/v4/locales/en.js'

let installed = false

export function useEnglishMessages(): void {
  if (installed) return
  config(en())
  installed = true
}
