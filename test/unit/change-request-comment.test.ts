/**
 * PR/MR comment providers (reference §5.25) against loopback fakes of GitHub (OpenAPI-validated),
 * GitLab and Gitea: one comment per object per provider, found by its marker and updated in place
 * across runs (a new client each run), never touching another user's comment.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FluxEvent } from '../../src/events/model.js'
import {
  changeRequestNumber,
  changeRequestTarget,
  commentBody,
  giteaPullRequestComment,
  githubPullRequestComment,
  gitlabMergeRequestComment,
} from '../../src/providers/git/change-request-comment.js'
import { clearGitHubAppTokens } from '../../src/providers/git/github-app.js'
import type {
  ChangeRequestModule,
  Notification,
  ResolvedProvider,
} from '../../src/providers/types.js'
import { startFakeGitHub } from '../servers/fake-github.js'
import type { FakeGitHub } from '../servers/fake-github.js'
import { startFakeGiteaComments } from '../servers/fake-gitea-comments.js'
import type { FakeGiteaComments } from '../servers/fake-gitea-comments.js'
import { startFakeGitLabNotes } from '../servers/fake-gitlab-notes.js'
import type { FakeGitLabNotes } from '../servers/fake-gitlab-notes.js'
import { alert, providerManifest, resolvedProvider, testEvent } from '../support/factories.js'

const UID = '0c9c2e41-d2f9-4f9b-9c41-bebc1984d67a'
const PR_MARKER = `<!-- flux-pr-comment-key:${UID}/GitRepository/gitops-system/webapp -->`
const MR_MARKER = `<!-- flux-mr-comment-key:${UID}/GitRepository/gitops-system/webapp -->`
const MARKDOWN =
  '## Flux Status\n\nℹ️ GitRepository/gitops-system/webapp\n\nmessage\n\nMetadata:\n* `test`: metadata\n'

/** testEvent() as a change-request provider sees it: combined metadata with `change_request`. */
function prEvent(changeRequest: string | null = '7', message = 'message'): FluxEvent {
  const event = testEvent()
  const metadata: Record<string, string> = { test: 'metadata' }
  if (changeRequest !== null) metadata.change_request = changeRequest
  return { ...event, message, metadata }
}

function provider(type: string, address: string, token = 'tok-ours'): ResolvedProvider {
  return resolvedProvider(type, {
    provider: providerManifest(type, { name: 'pr', namespace: 'flux-system', address }),
    uid: UID,
    token,
    secretValues: [token],
  })
}

function notification(event: FluxEvent, p: ResolvedProvider): Notification {
  return { event, alert: alert(), provider: p }
}

const signal = () => AbortSignal.timeout(10_000)

/** One "run": a fresh client, one upsert. */
async function run(module: ChangeRequestModule, p: ResolvedProvider, event: FluxEvent) {
  const client = await module.createClient(p)
  return client.upsertComment(notification(event, p), signal())
}

describe('comment text and change request number', () => {
  it('starts the body with the marker, then the §8.1 markdown', () => {
    expect(commentBody('flux-pr-comment-key', UID, prEvent())).toBe(`${PR_MARKER}\n\n${MARKDOWN}`)
    expect(commentBody('flux-mr-comment-key', UID, prEvent())).toBe(`${MR_MARKER}\n\n${MARKDOWN}`)
  })

  it('reads change_request as an integer with the controller error texts', () => {
    expect(changeRequestNumber(prEvent('42'))).toBe(42)
    expect(changeRequestNumber(prEvent(null))).toEqual({
      error: 'missing "change_request" metadata key',
    })
    for (const bad of ['abc', '4.2', '', '12a', ' 7']) {
      const result = changeRequestNumber(prEvent(bad))
      expect(result).toEqual({
        error: expect.stringMatching(/^invalid "change_request" metadata value /),
      })
    }
    expect(changeRequestNumber(prEvent('abc'))).toEqual({
      error:
        'invalid "change_request" metadata value "abc": strconv.Atoi: parsing "abc": invalid syntax',
    })
  })

  it('names the repository and number without IO', () => {
    const p = provider('gitlabmergerequestcomment', 'https://gitlab.com/group/sub/app.git')
    expect(changeRequestTarget(notification(prEvent('12'), p))).toEqual({
      repository: 'group/sub/app',
      number: 12,
    })
  })
})

describe('validate', () => {
  it('checks the uid, the token (password fallback) and the address per host', () => {
    const gh = provider('githubpullrequestcomment', 'https://github.com/o/r')
    expect(githubPullRequestComment.validate(gh)).toBeUndefined()
    expect(githubPullRequestComment.validate({ ...gh, uid: '' })).toBe(
      'provider UID cannot be empty',
    )
    expect(githubPullRequestComment.validate({ ...gh, token: '' })).toBe(
      'github token or github app details must be specified',
    )
    expect(githubPullRequestComment.validate({ ...gh, token: '', password: 'p' })).toBeUndefined()
    expect(githubPullRequestComment.validate({ ...gh, address: 'https://github.com/o/r/x' })).toBe(
      "invalid repository id: 'o/r/x'",
    )

    const gl = provider('gitlabmergerequestcomment', 'https://gitlab.com/a/b/c')
    expect(gitlabMergeRequestComment.validate(gl)).toBeUndefined()
    expect(gitlabMergeRequestComment.validate({ ...gl, token: '' })).toBe(
      'gitlab token cannot be empty',
    )
    expect(gitlabMergeRequestComment.validate({ ...gl, token: '', password: 'p' })).toBeUndefined()

    const gt = provider('giteapullrequestcomment', 'https://gitea.example.com/o/r')
    expect(giteaPullRequestComment.validate(gt)).toBeUndefined()
    expect(giteaPullRequestComment.validate({ ...gt, token: '' })).toBe(
      'gitea token cannot be empty',
    )
    expect(giteaPullRequestComment.validate({ ...gt, address: 'https://g.example.com/o' })).toBe(
      'invalid repository id "o"',
    )
  })
})

describe('githubpullrequestcomment against the GitHub fake', () => {
  let github: FakeGitHub
  beforeEach(async () => {
    github = await startFakeGitHub({ logins: { 'tok-ours': 'flux-bot', 'tok-other': 'someone' } })
  })
  afterEach(async () => {
    expect(github.violations).toEqual([])
    await github.close()
  })
  const ops = () => github.requests.map((r) => `${r.method} ${r.operationId ?? r.path}`)

  it('creates the comment, then updates it in place on a later run, leaving others alone', async () => {
    const p = provider('githubpullrequestcomment', `${github.url}/foo/bar`)
    // another user's comment carrying our very marker, and an unrelated one of ours
    github.seedComment('foo/bar', 7, { login: 'someone', body: `${PR_MARKER}\n\nmine` })
    github.seedComment('foo/bar', 7, { login: 'flux-bot', body: 'LGTM' })

    expect(await run(githubPullRequestComment, p, prEvent())).toBe('created')
    expect(await run(githubPullRequestComment, p, prEvent('7', 'second'))).toBe('updated')
    expect(await run(githubPullRequestComment, p, prEvent('7', 'second'))).toBe('unchanged')

    const comments = github.comments('foo/bar', 7)
    expect(comments.map((c) => [c.login, c.body])).toEqual([
      ['someone', `${PR_MARKER}\n\nmine`],
      ['flux-bot', 'LGTM'],
      ['flux-bot', `${PR_MARKER}\n\n${MARKDOWN.replace('\nmessage\n', '\nsecond\n')}`],
    ])
    expect(ops()).toEqual([
      'GET users/get-authenticated',
      'GET issues/list-comments',
      'POST issues/create-comment',
      'GET users/get-authenticated',
      'GET issues/list-comments',
      'PATCH issues/update-comment',
      'GET users/get-authenticated',
      'GET issues/list-comments',
    ])
    const patch = github.requests.find((r) => r.method === 'PATCH')!
    expect(patch.path).toBe(`/api/v3/repos/foo/bar/issues/comments/${comments[2]!.id}`)
    expect(patch.headers.authorization).toMatch(/^(token|bearer) tok-ours$/i)
  })

  it("works with the workflow's GITHUB_TOKEN, which may not read /user", async () => {
    await github.close()
    github = await startFakeGitHub({
      installationTokens: ['ghs_actions'],
      logins: { ghs_actions: 'github-actions[bot]', 'tok-other': 'someone' },
    })
    const p = provider('githubpullrequestcomment', `${github.url}/foo/bar`, 'ghs_actions')
    github.seedComment('foo/bar', 7, { login: 'someone', body: `${PR_MARKER}\n\nmine` })

    expect(await run(githubPullRequestComment, p, prEvent())).toBe('created')
    expect(await run(githubPullRequestComment, p, prEvent('7', 'second'))).toBe('updated')
    expect(github.comments('foo/bar', 7).map((c) => c.login)).toEqual([
      'someone',
      'github-actions[bot]',
    ])
    expect(github.requests.find((r) => r.operationId === 'users/get-authenticated')?.status).toBe(
      403,
    )
  })

  it('finds its comment past the first page of 100', async () => {
    const p = provider('githubpullrequestcomment', `${github.url}/foo/bar`)
    for (let i = 0; i < 120; i++)
      github.seedComment('foo/bar', 3, { login: 'someone', body: `${i}` })
    github.seedComment('foo/bar', 3, { login: 'flux-bot', body: `${PR_MARKER}\n\nold` })
    expect(await run(githubPullRequestComment, p, prEvent('3'))).toBe('updated')
    const lists = github.requests.filter((r) => r.operationId === 'issues/list-comments')
    expect(lists.map((r) => r.path)).toEqual([
      '/api/v3/repos/foo/bar/issues/3/comments?per_page=100&page=1',
      '/api/v3/repos/foo/bar/issues/3/comments?per_page=100&page=2',
    ])
    expect(github.comments('foo/bar', 3)).toHaveLength(121)
  })

  it('fails for an event without a usable change_request, before any request', async () => {
    const p = provider('githubpullrequestcomment', `${github.url}/foo/bar`)
    const client = await githubPullRequestComment.createClient(p)
    await expect(client.upsertComment(notification(prEvent(null), p), signal())).rejects.toThrow(
      'missing "change_request" metadata key',
    )
    await expect(client.upsertComment(notification(prEvent('x'), p), signal())).rejects.toThrow(
      /^invalid "change_request" metadata value "x"/,
    )
    expect(github.requests).toEqual([])
  })
})

describe('githubpullrequestcomment as a GitHub App', () => {
  let github: FakeGitHub
  afterEach(async () => {
    clearGitHubAppTokens()
    expect(github.violations).toEqual([])
    await github.close()
  })

  it('matches its comments as <slug>[bot] and writes with the installation token', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    github = await startFakeGitHub({
      app: {
        appId: 4242,
        publicKey,
        slug: 'flux-app',
        installations: [{ id: 77, account: 'foo', type: 'Organization' }],
      },
    })
    const p: ResolvedProvider = {
      ...provider('githubpullrequestcomment', `${github.url}/foo/bar`, ''),
      secretData: {
        githubAppID: '4242',
        githubAppInstallationID: '77',
        githubAppPrivateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
    }
    expect(githubPullRequestComment.validate(p)).toBeUndefined()
    // a user's comment with our marker is not the App's
    github.seedComment('foo/bar', 7, { login: 'octocat', body: `${PR_MARKER}\n\nmine` })

    expect(await run(githubPullRequestComment, p, prEvent())).toBe('created')
    expect(await run(githubPullRequestComment, p, prEvent('7', 'second'))).toBe('updated')

    expect(github.comments('foo/bar', 7).map((c) => c.login)).toEqual(['octocat', 'flux-app[bot]'])
    expect(github.requests.some((r) => r.operationId === 'apps/get-authenticated')).toBe(true)
    expect(github.requests.some((r) => r.operationId === 'users/get-authenticated')).toBe(false)
    const issued = github.app!.issuedTokens.map((t) => t.token)
    const writes = github.requests.filter(
      (r) => r.operationId?.includes('comment') && r.method !== 'GET',
    )
    expect(writes).toHaveLength(2)
    for (const write of writes) {
      const token = /^(?:token|bearer) (\S+)$/iu.exec(write.headers.authorization ?? '')?.[1]
      expect(issued).toContain(token)
    }
  })
})

describe('gitlabmergerequestcomment against the GitLab fake', () => {
  let gitlab: FakeGitLabNotes
  beforeEach(async () => {
    gitlab = await startFakeGitLabNotes({
      users: { 'tok-ours': 'flux-bot', 'tok-other': 'someone' },
    })
  })
  afterEach(async () => {
    await gitlab.close()
  })

  it('creates the note, then updates it in place on a later run, leaving others alone', async () => {
    const p = provider('gitlabmergerequestcomment', `${gitlab.url}/group/sub/app.git`)
    gitlab.seedNote('group/sub/app', 7, { username: 'someone', body: `${MR_MARKER}\n\nmine` })

    expect(await run(gitlabMergeRequestComment, p, prEvent())).toBe('created')
    expect(await run(gitlabMergeRequestComment, p, prEvent('7', 'second'))).toBe('updated')
    expect(await run(gitlabMergeRequestComment, p, prEvent('7', 'second'))).toBe('unchanged')

    const notes = gitlab.notes('group/sub/app', 7)
    expect(notes.map((n) => [n.username, n.body])).toEqual([
      ['someone', `${MR_MARKER}\n\nmine`],
      ['flux-bot', `${MR_MARKER}\n\n${MARKDOWN.replace('\nmessage\n', '\nsecond\n')}`],
    ])
    const notesPath = '/api/v4/projects/group%2Fsub%2Fapp/merge_requests/7/notes'
    const list = `GET ${notesPath}?sort=asc&order_by=created_at&per_page=20&page=1`
    expect(gitlab.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v4/user',
      list,
      `POST ${notesPath}`,
      'GET /api/v4/user',
      list,
      `PUT ${notesPath}/${notes[1]!.id}`,
      'GET /api/v4/user',
      list,
    ])
    for (const r of gitlab.requests) expect(r.headers['private-token']).toBe('tok-ours')
    const post = gitlab.requests.find((r) => r.method === 'POST')!
    expect(post.headers['content-type']).toBe('application/json')
    expect(JSON.parse(post.body)).toEqual({ body: `${MR_MARKER}\n\n${MARKDOWN}` })
  })

  it('reads every page of notes and falls back to the password for the token', async () => {
    const p = {
      ...provider('gitlabmergerequestcomment', `${gitlab.url}/app/x`, ''),
      password: 'tok-ours',
    }
    for (let i = 0; i < 50; i++) gitlab.seedNote('app/x', 2, { username: 'someone', body: `${i}` })
    gitlab.seedNote('app/x', 2, { username: 'flux-bot', body: `${MR_MARKER}\n\nold` })
    expect(await run(gitlabMergeRequestComment, p, prEvent('2'))).toBe('updated')
    const lists = gitlab.requests.filter((r) => r.method === 'GET' && r.path.includes('/notes'))
    // 20 + 20 + 11 notes
    expect(lists.map((r) => new URL(r.path, gitlab.url).searchParams.get('page'))).toEqual([
      '1',
      '2',
      '3',
    ])
    expect(gitlab.notes('app/x', 2)).toHaveLength(51)
    expect(gitlab.notes('app/x', 2)[50]!.body).toBe(`${MR_MARKER}\n\n${MARKDOWN}`)
  })

  it("fails with GitLab's answer when the token is refused", async () => {
    const p = provider('gitlabmergerequestcomment', `${gitlab.url}/app/x`, 'nope')
    await expect(run(gitlabMergeRequestComment, p, prEvent())).rejects.toThrow(
      'could not get the authenticated user: request failed with status code 401: {"message":"401 Unauthorized"}',
    )
  })
})

describe('giteapullrequestcomment against the Gitea fake', () => {
  let gitea: FakeGiteaComments
  afterEach(async () => {
    await gitea.close()
  })

  it('creates the comment, then updates it in place on a later run, leaving others alone', async () => {
    gitea = await startFakeGiteaComments({
      users: { 'tok-ours': 'flux-bot', 'tok-other': 'someone' },
    })
    const p = provider('giteapullrequestcomment', `${gitea.url}/foo/bar`)
    gitea.seedComment('foo/bar', 7, { login: 'someone', body: `${PR_MARKER}\n\nmine` })

    expect(await run(giteaPullRequestComment, p, prEvent())).toBe('created')
    expect(await run(giteaPullRequestComment, p, prEvent('7', 'second'))).toBe('updated')
    expect(await run(giteaPullRequestComment, p, prEvent('7', 'second'))).toBe('unchanged')

    const comments = gitea.comments('foo/bar', 7)
    expect(comments.map((c) => [c.login, c.body])).toEqual([
      ['someone', `${PR_MARKER}\n\nmine`],
      ['flux-bot', `${PR_MARKER}\n\n${MARKDOWN.replace('\nmessage\n', '\nsecond\n')}`],
    ])
    const list = 'GET /api/v1/repos/foo/bar/issues/7/comments?page=1&limit=50'
    expect(gitea.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/user',
      list,
      'POST /api/v1/repos/foo/bar/issues/7/comments',
      'GET /api/v1/user',
      list,
      `PATCH /api/v1/repos/foo/bar/issues/comments/${comments[1]!.id}`,
      'GET /api/v1/user',
      list,
    ])
    for (const r of gitea.requests) expect(r.headers.authorization).toBe('token tok-ours')
  })

  it('reads a list Gitea answers whole, and one it pages, completely', async () => {
    for (const paginate of [false, true]) {
      gitea = await startFakeGiteaComments({ users: { 'tok-ours': 'flux-bot' }, paginate })
      const p = provider('giteapullrequestcomment', `${gitea.url}/foo/bar`)
      for (let i = 0; i < 60; i++) {
        gitea.seedComment('foo/bar', 4, { login: 'someone', body: `${i}` })
      }
      gitea.seedComment('foo/bar', 4, { login: 'flux-bot', body: `${PR_MARKER}\n\nold` })
      expect(await run(giteaPullRequestComment, p, prEvent('4'))).toBe('updated')
      expect(gitea.comments('foo/bar', 4)).toHaveLength(61)
      expect(gitea.comments('foo/bar', 4)[60]!.body).toBe(`${PR_MARKER}\n\n${MARKDOWN}`)
      const pages = gitea.requests
        .filter((r) => r.method === 'GET' && r.path.includes('/comments'))
        .map((r) => new URL(r.path, gitea.url).searchParams.get('page'))
      // whole: page 2 brings nothing new; paged: 50 + 11
      expect(pages).toEqual(['1', '2'])
      if (!paginate) await gitea.close()
    }
  })
})
