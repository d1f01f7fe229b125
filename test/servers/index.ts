/** Loopback servers for tests and the demo. */
export { startRecorder } from './recorder.js'
export type { Recorder, RecordedRequest, RecorderOptions, ScriptedResponse } from './recorder.js'
export { startFakeGitHub } from './fake-github.js'
export type {
  FakeGitHub,
  FakeGitHubOptions,
  GitHubRequest,
  InjectedFailure,
  StatusInput,
  StoredStatus,
} from './fake-github.js'
