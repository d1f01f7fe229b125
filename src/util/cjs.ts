/**
 * The exports of a CommonJS package loaded with a dynamic `import()`. Under plain Node they are
 * named exports of the namespace; once esbuild has bundled the package, they sit on its `default`
 * (and only some are mirrored as named exports). Taking `default` when it carries them works in
 * both, so the bundle behaves as the sources do.
 */
export function cjsExports<T extends object>(namespace: T): T {
  const fallback = (namespace as { default?: unknown }).default
  return fallback !== null && typeof fallback === 'object' ? (fallback as T) : namespace
}
