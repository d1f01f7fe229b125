/**
 * `record[key] = value` as an own, enumerable data property, whatever the key: plain assignment
 * of `__proto__` would set the object's prototype instead, and a key read from user data
 * (metadata, annotations) can be exactly that.
 */
export function setOwn(record: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  } else {
    record[key] = value
  }
}
