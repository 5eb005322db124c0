/**
 * Per-key exclusive locks that work across processes and across hosts sharing the store.
 *
 * A lock is the file `locks/<key>.lock`, created with an exclusive create (`O_CREAT|O_EXCL`), that
 * names its holder: `{ host, pidNs, pid, pidStart, token, acquiredAt, leaseUntil }`. The holder renews the
 * lease from a background fiber (every quarter lease) by renaming a fresh copy over the file.
 * A waiter polls, and breaks the lock only when it is stale:
 *   - same host (hostname and pid namespace): the holder's pid is gone, a zombie, or a different
 *     process (its start time differs);
 *     a live holder is trusted whatever its lease, because a long synchronous tensor op can
 *     starve its renewal fiber;
 *   - other host (or no `/proc`): the lease has expired;
 *   - unreadable content (a holder killed between create and write): older than one lease.
 * Breaking, releasing and renewing happen under a short breaker mutex (`<key>.lock.break`,
 * exclusive create, itself stale after 10 s): the lock file is re-read there, and deleted or
 * rewritten only if it is still the very file judged stale (or still carries the holder's token).
 * Two waiters can thus never both delete a lock, and a holder whose lease lapsed never deletes or
 * overwrites its successor's lock. When liveness cannot be seen (Deno hides /proc without
 * --allow-all and signal 0 without unscoped --allow-run), the lease decides.
 *
 * Leases bound how long a dead remote holder blocks others; they do not make two holders
 * impossible when a live remote holder is paused past its lease. Store writes stay correct even
 * then, because commits are atomic and the first one wins.
 */
import process from "node:process";
import { join } from "node:path";
import * as Data from "effect/Data";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Schedule from "effect/Schedule";
import * as Scope from "effect/Scope";
import * as v from "valibot";
import { LockTimeout, type StoreIoError } from "./errors.ts";
import { io, isAlreadyExists, mkdirp, readText, removeTree, stat } from "./fsio.ts";
import { freshToken, type Layout } from "./layout.ts";

export interface LockOptions {
  /** How long a lock stays valid without renewal, for waiters that cannot see the holder's process (default 30 s). */
  readonly leaseMs?: number;
  /** How often a waiter looks at the lock again (default 250 ms). */
  readonly pollMs?: number;
  /** Give up with `LockTimeout` after this long (default: wait as long as the holder lives). */
  readonly timeoutMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_POLL_MS = 250;

// Loose on purpose: a newer diffrun may add fields, and its locks must still be understood.
const LockFileSchema = v.object({
  host: v.string(),
  pid: v.pipe(v.number(), v.integer()),
  /** Start time of the holder process (`/proc/<pid>/stat` field 22), to detect pid reuse. */
  pidStart: v.optional(v.string()),
  /** The holder's pid namespace (`/proc/self/ns/pid`): containers sharing a hostname differ here. */
  pidNs: v.optional(v.string()),
  token: v.string(),
  acquiredAt: v.pipe(v.string(), v.isoTimestamp()),
  leaseUntil: v.pipe(v.string(), v.isoTimestamp()),
});
type LockFile = v.InferOutput<typeof LockFileSchema>;

const parseLock = (raw: string): LockFile | undefined => {
  try {
    const checked = v.safeParse(LockFileSchema, JSON.parse(raw));
    return checked.success ? checked.output : undefined;
  } catch {
    return undefined;
  }
};

const describeHolder = (lock: LockFile): string =>
  `pid ${lock.pid} on host ${lock.host} (since ${lock.acquiredAt}, lease until ${lock.leaseUntil})`;

// ---------------------------------------------------------------------------------------------
// Process liveness through /proc (Linux). Elsewhere the answer is "unknown" and leases decide.

type Liveness = "alive" | "dead" | "unknown";

interface ProcStat {
  readonly state: string;
  readonly start: string;
}

const readProcStat = async (pid: number | "self"): Promise<ProcStat | undefined> => {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/stat`);
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", start: fields[19] ?? "" };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
};

/**
 * Liveness by signal 0 when /proc is out of reach (Deno lets a process read /proc only with
 * --allow-all; signalling needs unscoped --allow-run). Without either, "unknown": leases decide.
 */
const signalProbe = async (pid: number): Promise<Liveness> => {
  const run = await Deno.permissions.query({ name: "run" });
  if (run.state !== "granted") return "unknown";
  try {
    process.kill(pid, 0);
    return "alive";
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "ESRCH" ? "dead" : code === "EPERM" ? "alive" : "unknown";
  }
};

interface SelfInfo {
  readonly host: string;
  readonly pidNs: string | undefined;
  readonly pidStart: string | undefined;
  readonly proc: boolean;
}

let self: Promise<SelfInfo> | undefined;
const selfInfo = (): Promise<SelfInfo> =>
  self ??= (async () => {
    // Deno grants a process's own /proc entries only with --allow-all, so under diffrun's
    // narrower permission set our own start time and pid namespace may be unknown: others then
    // judge our locks by pid alone. Whether /proc works at all is read from pid 1.
    const stat = await readProcStat("self").catch(() => undefined);
    const pidNs = await Deno.readLink("/proc/self/ns/pid").catch(() => undefined);
    const proc = stat !== undefined ||
      await Deno.stat("/proc/1/stat").then(() => true, () => false);
    return { host: Deno.hostname(), pidNs, pidStart: stat?.start, proc };
  })();

const liveness = (
  pid: number,
  pidStart: string | undefined,
): Effect.Effect<Liveness, StoreIoError> =>
  io("inspect process", `/proc/${pid}`, async () => {
    if (!(await selfInfo()).proc) return await signalProbe(pid);
    const s = await readProcStat(pid);
    if (s === undefined || s.state === "Z" || s.state === "X") return "dead";
    if (pidStart !== undefined && s.start !== pidStart) return "dead";
    return "alive";
  });

// ---------------------------------------------------------------------------------------------
// Inspecting and breaking a lock file.

export type LockState =
  | { readonly _tag: "Free" }
  | { readonly _tag: "Held"; readonly holder: string }
  | { readonly _tag: "Stale"; readonly raw: string; readonly reason: string };

/** What the lock file of `key` says right now, judged with `leaseMs` for unreadable files. */
export const inspectLock = (
  L: Layout,
  key: string,
  leaseMs: number = DEFAULT_LEASE_MS,
): Effect.Effect<LockState, StoreIoError> =>
  Effect.gen(function* () {
    const path = L.lockPath(key);
    const raw = yield* readText(path);
    if (Option.isNone(raw)) return { _tag: "Free" };
    const now = yield* Clock.currentTimeMillis;
    const lock = parseLock(raw.value);
    if (lock === undefined) {
      const info = yield* stat(path);
      const age = Option.match(info, {
        onNone: () => 0,
        onSome: (i) => now - (i.mtime?.getTime() ?? now),
      });
      return age > leaseMs
        ? {
          _tag: "Stale",
          raw: raw.value,
          reason: `unreadable lock file ${Math.round(age)} ms old`,
        }
        : { _tag: "Held", holder: "a process still writing the lock file" };
    }
    const me = yield* io("inspect host", path, selfInfo);
    // an unknown namespace (a process without access to its own /proc entries) matches any
    const sameMachine = lock.host === me.host &&
      (lock.pidNs === undefined || me.pidNs === undefined || lock.pidNs === me.pidNs);
    const alive = sameMachine ? yield* liveness(lock.pid, lock.pidStart) : "unknown";
    if (alive === "dead") {
      return {
        _tag: "Stale",
        raw: raw.value,
        reason: `${describeHolder(lock)} is no longer running`,
      };
    }
    if (alive === "unknown" && Date.parse(lock.leaseUntil) < now) {
      return {
        _tag: "Stale",
        raw: raw.value,
        reason: `${describeHolder(lock)} let its lease expire`,
      };
    }
    return { _tag: "Held", holder: describeHolder(lock) };
  });

/** A breaker mutex older than this is itself stale (its holder died between two file calls). */
const BREAK_STALE_MS = 10_000;

/**
 * Runs `f` holding `<key>.lock.break`, the short mutex under which a lock file is checked and then
 * deleted or rewritten. Without it, two processes that both judged a lock stale could each delete
 * it, the second deleting the fresh lock the first had just created, and both would compute.
 * Holders keep it for a few file calls only.
 */
const withBreakLock = <A, E>(L: Layout, key: string, f: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const path = `${L.lockPath(key)}.break`;
    for (let i = 0;; i++) {
      const created = yield* io("create lock breaker", path, async () => {
        try {
          (await Deno.open(path, { createNew: true, write: true })).close();
          return true;
        } catch (e) {
          if (isAlreadyExists(e)) return false;
          throw e;
        }
      });
      if (created) break;
      const info = yield* stat(path);
      const now = yield* Clock.currentTimeMillis;
      if (Option.isSome(info) && now - (info.value.mtime?.getTime() ?? now) > BREAK_STALE_MS) {
        yield* io("remove stale lock breaker", path, () => Deno.remove(path)).pipe(Effect.ignore);
      } else yield* Effect.sleep(2 + Math.min(i, 20));
    }
    return yield* f.pipe(
      Effect.ensuring(io("remove lock breaker", path, () => Deno.remove(path)).pipe(Effect.ignore)),
    );
  });

/**
 * Deletes the lock file when `owns` accepts its content (checked and deleted under the breaker
 * mutex, so nobody can replace it in between). Returns whether a file we own was deleted.
 */
const takeLockFile = (L: Layout, key: string, owns: (raw: string) => boolean) =>
  withBreakLock(
    L,
    key,
    Effect.gen(function* () {
      const path = L.lockPath(key);
      const raw = yield* readText(path);
      if (Option.isNone(raw) || !owns(raw.value)) return false;
      yield* removeTree(path);
      return true;
    }),
  );

// ---------------------------------------------------------------------------------------------
// Acquiring, renewing, releasing.

class LockHeld extends Data.TaggedError("LockHeld")<{ readonly holder: string }> {}

const lockContent = (token: string, acquiredAt: number, now: number, leaseMs: number) =>
  Effect.map(io("inspect host", "/proc/self", selfInfo), (me) =>
    JSON.stringify(
      {
        host: me.host,
        pid: Deno.pid,
        ...(me.pidStart === undefined ? {} : { pidStart: me.pidStart }),
        ...(me.pidNs === undefined ? {} : { pidNs: me.pidNs }),
        token,
        acquiredAt: new Date(acquiredAt).toISOString(),
        leaseUntil: new Date(now + leaseMs).toISOString(),
      } satisfies LockFile,
    ) + "\n");

/** Exclusive create of the lock file; its `acquiredAt`, or `undefined` when it already exists. */
const tryCreate = (
  L: Layout,
  key: string,
  token: string,
  leaseMs: number,
): Effect.Effect<number | undefined, StoreIoError> =>
  Effect.gen(function* () {
    const path = L.lockPath(key);
    const now = yield* Clock.currentTimeMillis;
    const content = yield* lockContent(token, now, now, leaseMs);
    yield* mkdirp(L.locksDir);
    return yield* io("create lock", path, async () => {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { createNew: true, write: true });
      } catch (e) {
        if (isAlreadyExists(e)) return undefined;
        throw e;
      }
      try {
        await file.write(new TextEncoder().encode(content));
      } catch (e) {
        await Deno.remove(path).catch(() => {});
        throw e;
      } finally {
        file.close();
      }
      return now;
    });
  });

const release = (L: Layout, key: string, token: string) =>
  takeLockFile(L, key, (raw) => parseLock(raw)?.token === token).pipe(
    Effect.catch((e) =>
      Effect.logWarning(`store: could not release the lock of ${key}: ${e.message}`)
    ),
  );

/**
 * One uninterruptible attempt: create the lock (registering its release in `scope` before anything
 * can interrupt), or break a stale lock and create, or fail with `LockHeld`.
 */
const attempt = (L: Layout, key: string, token: string, leaseMs: number, scope: Scope.Scope) =>
  Effect.uninterruptible(Effect.gen(function* () {
    for (let tries = 0;; tries++) {
      const acquiredAt = yield* tryCreate(L, key, token, leaseMs);
      if (acquiredAt !== undefined) {
        yield* Scope.addFinalizer(scope, release(L, key, token));
        return acquiredAt;
      }
      const state = yield* inspectLock(L, key, leaseMs);
      if (state._tag === "Held") return yield* new LockHeld({ holder: state.holder });
      if (tries >= 3) return yield* new LockHeld({ holder: "a contended lock" });
      if (state._tag === "Stale") {
        yield* Effect.logInfo(`store: breaking the stale lock of ${key}: ${state.reason}`);
        yield* takeLockFile(L, key, (raw) => raw === state.raw);
      }
    }
  }));

/** Rewrites the lock with a new lease if it is still ours; `false` once it is lost. */
const renewOnce = (L: Layout, key: string, token: string, acquiredAt: number, leaseMs: number) =>
  Effect.uninterruptible(
    Effect.gen(function* () {
      const path = L.lockPath(key);
      const raw = yield* readText(path);
      if (Option.isNone(raw) || parseLock(raw.value)?.token !== token) {
        yield* Effect.logWarning(
          `store: the lock of ${key} was taken over (our lease lapsed); another process may compute it too`,
        );
        return false;
      }
      const now = yield* Clock.currentTimeMillis;
      const side = join(L.locksDir, `${key}.lock.${token}.renew`);
      const content = yield* lockContent(token, acquiredAt, now, leaseMs);
      yield* io("renew lock", side, () => Deno.writeTextFile(side, content));
      // re-checked under the breaker mutex: never overwrite a lock someone else took over
      return yield* withBreakLock(
        L,
        key,
        Effect.gen(function* () {
          const again = yield* readText(path);
          if (Option.isNone(again) || parseLock(again.value)?.token !== token) {
            yield* removeTree(side);
            return false;
          }
          yield* io("renew lock", path, () => Deno.rename(side, path));
          return true;
        }),
      );
    }).pipe(
      Effect.catch((e) =>
        Effect.as(
          Effect.logWarning(`store: could not renew the lock of ${key}: ${e.message}`),
          true,
        )
      ),
    ),
  );

/**
 * Runs `effect` while holding the exclusive lock of `key` (see the module header). The lock is
 * released when `effect` ends, fails or is interrupted.
 */
export const withLock = (L: Layout) =>
<A, E, R>(
  key: string,
  effect: Effect.Effect<A, E, R>,
  options: LockOptions = {},
): Effect.Effect<A, E | LockTimeout | StoreIoError, R> => {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const poll = options.timeoutMs === undefined
    ? Schedule.spaced(pollMs).pipe(Schedule.jittered)
    : Schedule.max([
      Schedule.spaced(pollMs).pipe(Schedule.jittered),
      Schedule.during(options.timeoutMs),
    ]);
  return Effect.acquireUseRelease(
    Scope.make(),
    (scope) =>
      Effect.gen(function* () {
        const token = freshToken();
        const since = yield* Clock.currentTimeMillis;
        let announced = false;
        const acquiredAt = yield* attempt(L, key, token, leaseMs, scope).pipe(
          Effect.tapError((e) => {
            if (announced || e._tag !== "LockHeld") return Effect.void;
            announced = true;
            return Effect.logInfo(`store: waiting for the lock of ${key}, held by ${e.holder}`);
          }),
          Effect.retry({ schedule: poll, while: (e) => e._tag === "LockHeld" }),
          Effect.catchTag("LockHeld", (e) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.fail(new LockTimeout({ key, holder: e.holder, waitedMs: now - since })))),
        );
        yield* Effect.sleep(Math.max(1, Math.floor(leaseMs / 4))).pipe(
          Effect.andThen(renewOnce(L, key, token, acquiredAt, leaseMs)),
          Effect.repeat({
            while: (stillOurs) =>
              stillOurs,
          }),
          Effect.forkIn(scope),
        );
        return yield* effect;
      }),
    (scope, exit) => Scope.close(scope, exit),
  ).pipe(Effect.withSpan("Store.withLock", { attributes: { key } }));
};

/** True when some live process holds the lock of `key` (used by gc to spare work in progress). */
export const isLocked = (L: Layout, key: string): Effect.Effect<boolean, StoreIoError> =>
  Effect.map(inspectLock(L, key), (s) => s._tag === "Held");
