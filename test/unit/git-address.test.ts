import { describe, expect, it } from 'vitest'
import { githubRepository, parseGitAddress } from '../../src/providers/git/address.js'

describe('parseGitAddress (reference §6.1)', () => {
  it.each([
    ['https://github.com/foo/bar', 'https://github.com', 'foo/bar'],
    ['https://gitlab.com/foo/bar.git', 'https://gitlab.com', 'foo/bar'],
    ['git@gitlab.com:foo/bar.git', 'https://gitlab.com', 'foo/bar'],
    ['ssh://git@github.com/stefanprodan/podinfo', 'https://github.com', 'stefanprodan/podinfo'],
    ['https://gitlab.com/foo/bar/foo.git', 'https://gitlab.com', 'foo/bar/foo'],
    ['git@github.com:owner/repo.git', 'https://github.com', 'owner/repo'],
    // the ssh port is kept, so it becomes an https port
    ['ssh://git@github.com:2222/o/r', 'https://github.com:2222', 'o/r'],
    // scp syntax without a user
    ['github.com:owner/repo', 'https://github.com', 'owner/repo'],
    // other transports keep their scheme
    ['http://gitea.local:3000/o/r.git', 'http://gitea.local:3000', 'o/r'],
    ['git+ssh://git@example.com/o/r', 'git+ssh://example.com', 'o/r'],
    // a trailing slash is not removed; every leading slash is
    ['https://github.com/foo/bar/', 'https://github.com', 'foo/bar/'],
    ['https://example.com//foo/bar', 'https://example.com', 'foo/bar'],
    // not a URL, not scp: a local path
    ['foo/bar', 'file://', 'foo/bar'],
    ['', 'file://', ''],
  ])('%s → host %s, id %s', (address, host, id) => {
    expect(parseGitAddress(address)).toEqual({ host, id })
  })
})

describe('githubRepository', () => {
  it('github.com uses api.github.com', () => {
    expect(githubRepository('https://github.com/stefanprodan/podinfo')).toEqual({
      owner: 'stefanprodan',
      repo: 'podinfo',
      apiBase: 'https://api.github.com',
    })
  })

  it('scp and ssh forms resolve like https', () => {
    expect(githubRepository('git@github.com:owner/repo.git')).toEqual({
      owner: 'owner',
      repo: 'repo',
      apiBase: 'https://api.github.com',
    })
  })

  it('another host is GitHub Enterprise under /api/v3, port kept', () => {
    expect(githubRepository('https://ghe.example.com/org/app')).toMatchObject({
      apiBase: 'https://ghe.example.com/api/v3',
    })
    expect(githubRepository('ssh://git@ghe.example.com:2222/org/app.git')).toEqual({
      owner: 'org',
      repo: 'app',
      apiBase: 'https://ghe.example.com:2222/api/v3',
    })
    expect(githubRepository('http://127.0.0.1:8080/o/r')).toMatchObject({
      apiBase: 'http://127.0.0.1:8080/api/v3',
    })
  })

  it('go-github adds no /api/v3 to api. hosts', () => {
    expect(githubRepository('https://api.acme.ghe.com/o/r')).toMatchObject({
      apiBase: 'https://api.acme.ghe.com',
    })
    expect(githubRepository('https://acme.api.example.com/o/r')).toMatchObject({
      apiBase: 'https://acme.api.example.com',
    })
  })

  it('github.com with an explicit port is not github.com', () => {
    expect(githubRepository('https://github.com:443/o/r')).toMatchObject({
      apiBase: 'https://github.com:443/api/v3',
    })
  })

  it.each([
    ['https://github.com/foo/bar/baz', "invalid repository id: 'foo/bar/baz'"],
    ['https://github.com/foo', "invalid repository id: 'foo'"],
    ['', "invalid repository id: ''"],
  ])('%s is invalid', (address, error) => {
    expect(githubRepository(address)).toEqual({ error })
  })
})
