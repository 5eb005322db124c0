/**
 * Per-key exclusive locks across fibers, processes and hosts sharing the store.
 *
 * The lock of a key is the file `locks/<key>.lock`. Its holder keeps it open with an exclusive
 * OS-level lock (`flock(2)`, src/platform/lockFile.ts) for as long as it holds the key. The kernel
 * drops that lock the instant the holder's process dies, however it dies (kill -9, OOM killer,
 * power loss of a container), so a waiter on the same machine takes over at its next poll
 * (default 250 ms), never after a timeout. flock locks belong to an open file, so two fibers of
 * one process exclude each other too.
 *
 * The holder also writes its record into the file: `{ host, pidNs, pid, token, acquiredAt,
 * leaseUntil }`, and renews the lease from a background fiber every quarter lease. The record
 * serves two purposes:
 *   - people and `LockTimeout` messages can see who holds a key;
 *   - hosts that share the store over a network filesystem. NFS and most cluster filesystems
 *     forward flock to the server, and then the OS lock alone excludes hosts; but some do not
 *     (flock stays local to each client), and there the lease is what keeps two hosts apart: a
 *     process that obtains the OS lock but finds another host's record with an unexpired lease
 *     lets go and waits. That lease is the only thing ever waited out, and only for another
 *     host. A record of this host (same hostname; containers sharing a kernel share flock) whose
 *     OS lock is free belongs to a dead or finished process and is taken over at once, as is an
 *     empty or unreadable record.
 * Leases bound how long a dead remote holder blocks others; on a filesystem without shared flock
 * they do not make two holders impossible (two hosts writing their records within the same
 * instant, or a remote holder paused past its lease). Store writes stay correct even then,
 * because commits are atomic and the first one wins: the cost is duplicated work.
 *
 * Releasing deletes the file while still holding the OS lock, then closes it. A waiter that had
 * opened the old file gets its lock after that, sees that the path no longer names the file it
 * holds (inode check) and starts over with the new one, so two holders never hold "the" lock.
 */
import * as Clock from "effect/Clock";
import * as Data from "effect/Data";
import * as Effect from "effect/Effect";
import * as Schedule from "effect/Schedule";
import * as Scope from "effect/Scope";
import * as v from "valibot";
import { LockTimeout, StoreIoError } from "./errors.ts";
import { io, isNotFound, mkdirp } from "./fsio.ts";
import { freshToken, type Layout } from "./layout.ts";
import * as fsys from "../platform/fs.ts";
import { type LockFile, openLockFile } from "../platform/lockFile.ts";
import * as proc from "../platform/process.ts";

export interface LockOptions {
  /** How long a record stays valid without renewal, for other hosts (default 30 s). */
  readonly leaseMs?: number;
  /** How often a waiter tries the lock again (default 250 ms). */
  readonly pollMs?: number;
  /** Give up with `LockTimeout` after this long (default: wait as long as the holder lives). */
  readonly timeoutMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_POLL_MS = 250;

// Loose on purpose: a newer diffrun may add fields, and its locks must still be understood.
const LockRecordSchema = v.object({
  host: v.string(),
  pid: v.pipe(v.number(), v.integer()),
  /** The holder's pid namespace (`/proc/self/ns/pid`), when it could read it. */
  pidNs: v.optional(v.string()),
  token: v.string(),
  acquiredAt: v.pipe(v.string(), v.isoTimestamp()),
  leaseUntil: v.pipe(v.string(), v.isoTimestamp()),
});
export type LockRecord = v.InferOutput<typeof LockRecordSchema>;

export const parseLockRecord = (raw: string): LockRecord | undefined => {
  try {
    const checked = v.safeParse(LockRecordSchema, JSON.parse(raw));
    return checked.success ? checked.output : undefined;
  } catch {
    return undefined;
  }
};

export const describeHolder = (lock: LockRecord): string =>
  `pid ${lock.pid} on host ${lock.host} (since ${lock.acquiredAt}, lease until ${lock.leaseUntil})`;

let pidNs: Promise<string | undefined> | undefined;
const ownPidNs = () => pidNs ??= fsys.readLink("/proc/self/ns/pid").catch(() => undefined);

/** True when the record was written on this machine (where flock is authoritative). */
const isLocalRecord = (lock: LockRecord): boolean => lock.host === proc.hostname();

const recordText = (token: string, acquiredAt: number, now: number, leaseMs: number) =>
  Effect.promise(async () => {
    const ns = await ownPidNs();
    return JSON.stringify(
      {
        host: proc.hostname(),
        pid: proc.pid(),
        ...(ns === undefined ? {} : { pidNs: ns }),
        token,
        acquiredAt: new Date(acquiredAt).toISOString(),
        leaseUntil: new Date(now + leaseMs).toISOString(),
      } satisfies LockRecord,
    ) + "\n";
  });

// ---------------------------------------------------------------------------------------------
// The OS lock.

/** An open lock file whose exclusive flock we hold, and the inode it had when we got it. */
export interface HeldFile {
  readonly file: LockFile;
  readonly ino: number;
  readonly path: string;
}

/** A filesystem without flock (Lustre mounted without `-o flock`, some FUSE): say so plainly. */
const noFlock = (e: unknown): never => {
  throw new Error(
    `the store's filesystem refused an OS file lock (flock); diffrun needs it to keep runs apart ` +
      `(on Lustre, mount with -o flock or -o localflock): ${e instanceof Error ? e.message : e}`,
  );
};

type Grab =
  | { readonly _tag: "Got"; readonly held: HeldFile }
  | { readonly _tag: "Busy" }
  | { readonly _tag: "Absent" };

/**
 * Opens `path` (creating it when `create`) and tries its exclusive flock without blocking. `Got`
 * only when the path still names the very file locked (see the module header).
 */
const grab = (path: string, create: boolean): Effect.Effect<Grab, StoreIoError> =>
  io("lock", path, async (): Promise<Grab> => {
    for (;;) {
      let file: LockFile;
      try {
        file = await openLockFile(path, create);
      } catch (e) {
        if (!create && isNotFound(e)) return { _tag: "Absent" };
        throw e;
      }
      try {
        if (!(await file.tryLock().catch(noFlock))) {
          file.close();
          return { _tag: "Busy" };
        }
        const mine = { ino: await file.ino() };
        const named = await fsys.lstat(path).catch((e) => {
          if (isNotFound(e)) return undefined;
          throw e;
        });
        if (named !== undefined && named.ino === mine.ino && mine.ino !== null) {
          return { _tag: "Got", held: { file, ino: mine.ino, path } };
        }
        file.close(); // released (deleted) while we opened it: try the new file
        if (named === undefined && !create) return { _tag: "Absent" };
      } catch (e) {
        file.close();
        throw e;
      }
    }
  });

const readRecord = (held: HeldFile) =>
  io("read lock", held.path, () => fsys.readTextFile(held.path).catch(() => ""));

const writeRecord = (held: HeldFile, text: string) =>
  io("write lock", held.path, async () => {
    const bytes = new TextEncoder().encode(text);
    // overwrite, then cut: a renewed record (same length) is never seen empty by a reader
    await held.file.overwrite(bytes);
  });

/** Deletes the file if it is still ours, then closes it (dropping the OS lock). */
export const releaseFile = (held: HeldFile): Effect.Effect<void, StoreIoError> =>
  io("release lock", held.path, async () => {
    try {
      const named = await fsys.lstat(held.path).catch(() => undefined);
      if (named?.ino === held.ino) await fsys.remove(held.path).catch(() => undefined);
    } finally {
      held.file.close();
    }
  });

/** What the record of a file whose OS lock we hold says about other hosts. */
const remoteHolder = (raw: string, now: number): string | undefined => {
  const lock = parseLockRecord(raw);
  if (lock === undefined || isLocalRecord(lock)) return undefined;
  return Date.parse(lock.leaseUntil) >= now ? describeHolder(lock) : undefined;
};

// ---------------------------------------------------------------------------------------------
// Probing (gc, the tmp sweep): who holds a key right now.

export type LockState =
  | { readonly _tag: "Free" }
  | { readonly _tag: "Held"; readonly holder: string };

const busyHolder = (path: string) =>
  io("read lock", path, () => fsys.readTextFile(path).catch(() => "")).pipe(
    Effect.map((raw) => {
      const lock = parseLockRecord(raw);
      return lock === undefined ? "another process" : describeHolder(lock);
    }),
  );

/**
 * Whether a live holder (this host: an OS lock; another host: an unexpired lease) has `key`.
 * With `removeIfFree`, a free lock file is deleted (a dead holder's leftover).
 */
export const probeLock = (
  L: Layout,
  key: string,
  removeIfFree = false,
): Effect.Effect<LockState, StoreIoError> =>
  Effect.uninterruptible(Effect.gen(function* () {
    const path = L.lockPath(key);
    const got = yield* grab(path, false);
    if (got._tag === "Absent") return { _tag: "Free" };
    if (got._tag === "Busy") return { _tag: "Held", holder: yield* busyHolder(path) };
    const now = yield* Clock.currentTimeMillis;
    const remote = remoteHolder(yield* readRecord(got.held), now);
    if (remote !== undefined) {
      got.held.file.close();
      return { _tag: "Held", holder: remote };
    }
    if (removeIfFree) yield* releaseFile(got.held);
    else got.held.file.close();
    return { _tag: "Free" };
  }));

/** True when some live holder has the lock of `key` (gc spares its work in progress). */
export const isLocked = (L: Layout, key: string): Effect.Effect<boolean, StoreIoError> =>
  Effect.map(probeLock(L, key), (s) => s._tag === "Held");

// ---------------------------------------------------------------------------------------------
// Acquiring, renewing, releasing.

class LockHeld extends Data.TaggedError("LockHeld")<{ readonly holder: string }> {}

/**
 * One uninterruptible attempt: take the OS lock and write our record (registering the release in
 * `scope` before anything can interrupt), or fail with `LockHeld`.
 */
const attempt = (L: Layout, key: string, token: string, leaseMs: number, scope: Scope.Scope) =>
  Effect.uninterruptible(Effect.gen(function* () {
    const path = L.lockPath(key);
    yield* mkdirp(L.locksDir);
    const got = yield* grab(path, true);
    if (got._tag !== "Got") return yield* new LockHeld({ holder: yield* busyHolder(path) });
    const held = got.held;
    const now = yield* Clock.currentTimeMillis;
    const previous = yield* readRecord(held).pipe(
      Effect.tapError(() => Effect.sync(() => held.file.close())),
    );
    const remote = remoteHolder(previous, now);
    if (remote !== undefined) {
      held.file.close();
      return yield* new LockHeld({ holder: remote });
    }
    yield* Scope.addFinalizer(
      scope,
      releaseFile(held).pipe(
        Effect.catch((e) =>
          Effect.logWarning(`store: could not release the lock of ${key}: ${e.message}`)
        ),
      ),
    );
    const before = parseLockRecord(previous);
    if (before !== undefined && before.token !== token) {
      yield* Effect.logInfo(
        `store: took over the lock of ${key}: ${describeHolder(before)} is no longer running${
          isLocalRecord(before) ? "" : " (its lease expired)"
        }`,
      );
    }
    yield* writeRecord(held, yield* recordText(token, now, now, leaseMs));
    return { held, acquiredAt: now };
  }));

/** Rewrites our record with a new lease; `false` once the file is no longer ours. */
const renewOnce = (
  key: string,
  held: HeldFile,
  token: string,
  acquiredAt: number,
  leaseMs: number,
) =>
  Effect.gen(function* () {
    const named = yield* io("renew lock", held.path, () => fsys.lstat(held.path)).pipe(
      Effect.map((s) => s.ino === held.ino),
      Effect.catch(() => Effect.succeed(false)),
    );
    if (!named) {
      yield* Effect.logWarning(
        `store: the lock file of ${key} was removed while held; another process may compute it too`,
      );
      return false;
    }
    const now = yield* Clock.currentTimeMillis;
    yield* writeRecord(held, yield* recordText(token, acquiredAt, now, leaseMs));
    return true;
  }).pipe(
    Effect.catch((e) =>
      Effect.as(Effect.logWarning(`store: could not renew the lock of ${key}: ${e.message}`), true)
    ),
    Effect.uninterruptible,
  );

/**
 * Runs `effect` while holding the exclusive lock of `key` (see the module header). The lock is
 * released when `effect` ends, fails or is interrupted, and by the kernel when the process dies.
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
        const { held, acquiredAt } = yield* attempt(L, key, token, leaseMs, scope).pipe(
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
          Effect.andThen(renewOnce(key, held, token, acquiredAt, leaseMs)),
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
