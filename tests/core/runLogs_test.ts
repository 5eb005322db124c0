import assert from "node:assert/strict";
import { join } from "node:path";
import { type FlushTimer, makeRunLogs } from "../../src/core/runLogs.ts";

/** A timer the test fires by hand: `pending` holds the scheduled flush, if any. */
const manualTimer = () => {
  const state = { pending: undefined as (() => void) | undefined, scheduled: 0 };
  const timer: FlushTimer = (flush) => {
    state.scheduled++;
    state.pending = flush;
    return () => void (state.pending = undefined);
  };
  const fire = () => {
    const f = state.pending;
    state.pending = undefined;
    f?.();
  };
  return { state, timer, fire };
};

const read = (path: string) => Deno.readTextFile(path).catch(() => null);

/** Runs `f` with run logs on a fresh temporary folder and a hand-fired timer; removes the folder. */
const withRunLogs = async (
  f: (
    dir: string,
    logs: ReturnType<typeof makeRunLogs>,
    t: ReturnType<typeof manualTimer>,
  ) => Promise<void>,
) => {
  const dir = await Deno.makeTempDir();
  try {
    const t = manualTimer();
    await f(dir, makeRunLogs(dir, { timer: t.timer }), t);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};

Deno.test("makeRunLogs() writes queued lines only when its timer fires, one batch per file, in order", () =>
  withRunLogs(async (dir, logs, t) => {
    await Deno.mkdir(join(dir, "logs"));
    logs.add("logs/a.log", "one");
    logs.add("metrics.jsonl", '{"step":1}');
    logs.add("logs/a.log", "two");
    assert.equal(t.state.scheduled, 1, "one timer for the whole batch");
    assert.equal(await read(join(dir, "logs/a.log")), null, "nothing written before the timer");
    t.fire();
    assert.equal(await read(join(dir, "logs/a.log")), "one\ntwo\n");
    assert.equal(await read(join(dir, "metrics.jsonl")), '{"step":1}\n');
    logs.add("logs/a.log", "three");
    assert.equal(t.state.scheduled, 2, "the next line starts the next batch");
    t.fire();
    assert.equal(
      await read(join(dir, "logs/a.log")),
      "one\ntwo\nthree\n",
      "appended, not replaced",
    );
  }));

Deno.test("flush() writes every queued line at once and cancels the pending timer", () =>
  withRunLogs(async (dir, logs, t) => {
    logs.add("b.log", "x");
    logs.flush();
    assert.equal(await read(join(dir, "b.log")), "x\n");
    assert.equal(t.state.pending, undefined, "the timer was cancelled");
    logs.flush();
    assert.equal(await read(join(dir, "b.log")), "x\n", "an empty flush writes nothing");
  }));

Deno.test("flush() throws the error of a failed batch; the other files are still written", () =>
  withRunLogs(async (dir, logs, t) => {
    logs.add("missing-folder/c.log", "lost");
    logs.add("d.log", "kept");
    t.fire(); // the timer's batch fails on c.log without throwing out of the timer
    assert.equal(await read(join(dir, "d.log")), "kept\n");
    assert.throws(() => logs.flush(), (e: unknown) => e instanceof Error);
  }));
