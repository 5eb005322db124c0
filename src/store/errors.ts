/**
 * The store's errors: a closed union of tagged types whose messages are built from their fields.
 *
 * `StoreIoError` is a filesystem call that failed (permissions, disk full, a path that is not what
 * the layout says). `CorruptEntry` and `MissingEntry` come from `verify`; a corrupt entry has
 * already been moved out of the way when the error is raised, so the caller just recomputes.
 * `LockTimeout` is a `withLock` waiter that gave up. Invalid keys are programming errors
 * (defects), not members of this union.
 */
import * as Data from "effect/Data";

const describe = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause);

/** A filesystem operation on the store failed. */
export class StoreIoError extends Data.TaggedError("StoreIoError")<{
  /** What was attempted: `read`, `rename`, `remove`, `hash`, `create lock`… */
  readonly op: string;
  readonly path: string;
  readonly cause: unknown;
}> {
  override get message(): string {
    return `store: cannot ${this.op} ${this.path}: ${describe(this.cause)}`;
  }
}

/** An entry whose metadata or artifact files do not check out; it has been moved aside. */
export class CorruptEntry extends Data.TaggedError("CorruptEntry")<{
  readonly key: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `store entry ${this.key} is corrupt (${this.reason}); it was removed and must be recomputed`;
  }
}

/** No committed entry exists for the key. */
export class MissingEntry extends Data.TaggedError("MissingEntry")<{ readonly key: string }> {
  override get message(): string {
    return `store entry ${this.key} does not exist`;
  }
}

/** `withLock` waited `timeoutMs` for a key whose lock another live process holds. */
export class LockTimeout extends Data.TaggedError("LockTimeout")<{
  readonly key: string;
  /** The holder as recorded in the lock file, e.g. `pid 123 on host a (lease until …)`. */
  readonly holder: string;
  readonly waitedMs: number;
}> {
  override get message(): string {
    return `store: gave up after ${this.waitedMs} ms waiting for the lock of ${this.key}, held by ${this.holder}`;
  }
}

export type StoreError = StoreIoError | CorruptEntry | MissingEntry | LockTimeout;
