// Commands run beside the terminal's (a lesson's checks): the worker's side of the 'exec'
// message. gb_spawn starts the command in the engine (web/engine/glassbox_web.cpp, section 8);
// the machine's run loop runs it with every other task and calls service() after each slice,
// which polls each running command, kills those past their timeout, and posts the result.
import type { ExecResult, ExecSpec, WorkerToPage } from '../engine/protocol';
import { EngineModule, cstr } from './engine-module';

const DEFAULT_TIMEOUT_MS = 30_000;
/** After SIGKILL, how long the result may wait for the process to be reaped. */
const KILL_GRACE_MS = 2_000;

interface Running {
  id: number;
  handle: number;
  started: number;
  deadline: number;
  killedAt: number;
  stream: boolean;
}

export class ExecService {
  private readonly running: Running[] = [];
  private readonly dec = new TextDecoder();

  constructor(
    private readonly E: EngineModule,
    private readonly post: (m: WorkerToPage) => void,
  ) {}

  get busy(): boolean {
    return this.running.length > 0;
  }

  /** Milliseconds until the nearest timeout, or -1 with nothing running. */
  nextDeadlineMs(now: number): number {
    if (!this.running.length) return -1;
    return Math.max(0, Math.min(...this.running.map((r) => (r.killedAt ? r.killedAt + KILL_GRACE_MS : r.deadline))) - now);
  }

  start(id: number, spec: ExecSpec): void {
    const E = this.E;
    if (!E._gb_spawn || !E._gb_spawn_reply) {
      this.post({ type: 'exec-result', id, error: 'this engine cannot run commands (gb_spawn is missing)' });
      return;
    }
    const json = JSON.stringify({ argv: spec.argv, env: spec.env, cwd: spec.cwd, stdin: spec.stdin, cap: spec.cap, events: spec.events, uid: spec.uid, gid: spec.gid });
    const p = cstr(E, json);
    const h = E._gb_spawn(p);
    E._free(p);
    if (h <= 0) {
      let why = `cannot start ${spec.argv[0] ?? '(nothing)'}`;
      try {
        why = (JSON.parse(this.reply()) as { error: string }).error || why;
      } catch {
        /* keep the generic text */
      }
      this.post({ type: 'exec-result', id, error: why });
      return;
    }
    const now = performance.now();
    this.running.push({ id, handle: h, started: now, deadline: now + (spec.timeoutMs ?? DEFAULT_TIMEOUT_MS), killedAt: 0, stream: !!spec.stream && !!E._gb_spawn_take });
    if (spec.stream) this.take(this.running[this.running.length - 1], true);
  }

  /** Polls every running command; posts the results of those that ended. */
  service(): void {
    const E = this.E;
    if (!this.running.length || !E._gb_spawn_poll || !E._gb_spawn_kill) return;
    const now = performance.now();
    for (let i = 0; i < this.running.length; ) {
      const r = this.running[i];
      if (r.stream) this.take(r, false);
      const n = E._gb_spawn_poll(r.handle);
      if (n === 0) {
        if (!r.killedAt && now >= r.deadline) {
          E._gb_spawn_kill(r.handle);
          r.killedAt = now;
        }
        i++;
        continue;
      }
      this.running.splice(i, 1);
      if (n < 0) {
        this.post({ type: 'exec-result', id: r.id, error: 'the command vanished from the engine' });
        continue;
      }
      const result = JSON.parse(this.reply(n)) as ExecResult;
      result.timedOut = r.killedAt !== 0;
      result.ms = Math.round(now - r.started);
      this.post({ type: 'exec-result', id: r.id, result });
    }
  }

  /** Streaming: posts the output since the last take (always the first time: the pid). */
  private take(r: Running, always: boolean): void {
    const n = this.E._gb_spawn_take!(r.handle);
    if (n <= 0) return;
    const o = JSON.parse(this.reply(n)) as { pid: number; stdout: string; stderr: string };
    if (always || o.stdout || o.stderr) this.post({ type: 'exec-output', id: r.id, pid: o.pid, stdout: o.stdout, stderr: o.stderr });
  }

  private reply(len?: number): string {
    const E = this.E;
    const p = E._gb_spawn_reply!();
    let end = p;
    if (len === undefined) while (E.HEAPU8[end]) end++;
    else end = p + len;
    return this.dec.decode(E.HEAPU8.subarray(p, end));
  }
}
