/**
 * Values built on first use. Start-up time (design.md §5) counts everything a run evaluates before
 * it does anything, and a zod schema costs real work to construct: schemas that only some runs
 * need (event shapes, the state file, old API versions) are built when first asked for.
 */

/** A function returning the value `build` makes on the first call, and the same value after. */
export function lazy<T>(build: () => T): () => T {
  let built = false
  let value: T
  return () => {
    if (!built) {
      value = build()
      built = true
    }
    return value
  }
}

/**
 * A record whose entries are built on first access, one by one (each key's getter replaces
 * itself with the value). `Object.keys` and `in` see every key from the start.
 */
export function lazyRecord<K extends string, V>(
  keys: readonly K[],
  build: (key: K) => V,
): Readonly<Record<K, V>> {
  const record = {} as Record<K, V>
  for (const key of keys) {
    Object.defineProperty(record, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = build(key)
        Object.defineProperty(record, key, { value, enumerable: true, writable: false })
        return value
      },
    })
  }
  return record
}

/**
 * An object that stands for the one `build` makes, built when any of its properties is first
 * read (`schema.safeParse(…)` works unchanged). For exported schemas whose users should not have
 * to know they are lazy.
 */
export function lazyObject<T extends object>(build: () => T): T {
  const target = lazy(build)
  return new Proxy({} as T, {
    get: (_, key) => {
      const real = target()
      const value: unknown = Reflect.get(real, key, real)
      return value
    },
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key)
      // a proxy may only report a property as configurable if its own target has it
      return descriptor && { ...descriptor, configurable: true }
    },
  })
}
