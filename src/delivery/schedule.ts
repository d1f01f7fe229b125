/**
 * The two pieces delivery is scheduled with, kept apart from what is delivered:
 *
 * - **Lanes**: one FIFO queue per key. A job starts only once every job queued earlier under the
 *   same key has settled (resolved or rejected), so order holds where it is observable (the same
 *   commit status context, the same pull request, the same involved object) and nowhere else.
 * - **Semaphore**: one limit on how many jobs are in flight at once, across all lanes and
 *   providers. Waiting jobs get a slot in the order they asked for one.
 *
 * A job must not ask for a slot while it holds one (with a limit of 1 that would wait forever).
 */

/** Keyed FIFO queues. */
export interface Lanes {
  /** Runs `job` after every job queued earlier under `key` has settled; resolves like `job`. */
  run<T>(key: string, job: () => Promise<T>): Promise<T>
}

export function createLanes(): Lanes {
  // the settled end of each busy lane; a lane with nothing queued has no entry
  const tails = new Map<string, Promise<void>>()
  return {
    run<T>(key: string, job: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve()
      const result = previous.then(job)
      // a failed job must not stop the ones after it
      const tail = result.then(
        () => undefined,
        () => undefined,
      )
      tails.set(key, tail)
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key)
      })
      return result
    },
  }
}

/** At most `limit` jobs in flight; the others wait, first come first served. */
export interface Semaphore {
  run<T>(job: () => Promise<T>): Promise<T>
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, not ${limit}`)
  }
  let active = 0
  // a FIFO with a moving head: Array#shift on thousands of waiters would copy the array each time
  let waiting: Array<(() => void) | undefined> = []
  let head = 0

  const acquire = (): Promise<void> | undefined => {
    if (active < limit) {
      active++
      return undefined
    }
    return new Promise<void>((resolve) => waiting.push(resolve))
  }
  const release = () => {
    const next = waiting[head]
    if (next === undefined) {
      active--
      return
    }
    // the slot passes straight to the next waiter: `active` stays the same
    waiting[head++] = undefined
    if (head === waiting.length) {
      waiting = []
      head = 0
    }
    next()
  }

  return {
    async run<T>(job: () => Promise<T>): Promise<T> {
      const turn = acquire()
      if (turn) await turn
      try {
        return await job()
      } finally {
        release()
      }
    },
  }
}
