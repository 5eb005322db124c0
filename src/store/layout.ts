/**
 * Where things live under a store root. Pure path arithmetic; nothing here touches the disk.
 *
 * ```
 * <root>/entries/<key[0..2]>/<key>/meta.json      committed entries (appear by one rename)
 * <root>/entries/<key[0..2]>/<key>/artifact/…     the files a codec wrote
 * <root>/tmp/<key>.<token>.<purpose>/             staging, checkpoints in flight, things moved aside
 * <root>/locks/<key>.lock                         per-key lock file (plus short-lived side files)
 * <root>/checkpoints/<key>/<generation>/          the last complete checkpoint of a key
 * ```
 *
 * Entries are spread over 256 sub-folders by key prefix so no folder grows huge. Everything that
 * is not yet (or no longer) a committed entry lives in `tmp/`, on the same filesystem as
 * `entries/`, so that commit and removal are single renames. Every `tmp/` name starts with the
 * key it belongs to, which lets `gc` spare the staging of keys that are locked (in progress).
 */
import { join } from "node:path";

const KEY = /^[0-9a-f]{64}$/;

/** A store key: 64 lowercase hex digits (a sha256). */
export const isKey = (key: string): boolean => KEY.test(key);

/** Throws (a defect: keys are computed by the runner, never typed by users) unless `key` is valid. */
export const assertKey = (key: string): string => {
  if (!KEY.test(key)) {
    throw new TypeError(`store: "${key}" is not a store key (64 lowercase hex digits)`);
  }
  return key;
};

/** A fresh name component, unique across processes and hosts. */
export const freshToken = (): string => crypto.randomUUID();

export interface Layout {
  readonly root: string;
  readonly entriesDir: string;
  readonly tmpDir: string;
  readonly locksDir: string;
  readonly checkpointsDir: string;
  entryDir(key: string): string;
  metaPath(key: string): string;
  artifactDir(key: string): string;
  lockPath(key: string): string;
  checkpointDir(key: string): string;
  /** A unique path in `tmp/` for `key`; `purpose` says what it is for (`write`, `removed`…). */
  tmpPath(key: string, purpose: string): string;
}

export const layout = (root: string): Layout => {
  const entriesDir = join(root, "entries");
  const tmpDir = join(root, "tmp");
  const locksDir = join(root, "locks");
  const checkpointsDir = join(root, "checkpoints");
  const entryDir = (key: string) => join(entriesDir, assertKey(key).slice(0, 2), key);
  return {
    root,
    entriesDir,
    tmpDir,
    locksDir,
    checkpointsDir,
    entryDir,
    metaPath: (key) => join(entryDir(key), META_FILE),
    artifactDir: (key) => join(entryDir(key), ARTIFACT_DIR),
    lockPath: (key) => join(locksDir, `${assertKey(key)}.lock`),
    checkpointDir: (key) => join(checkpointsDir, assertKey(key)),
    tmpPath: (key, purpose) => join(tmpDir, `${assertKey(key)}.${freshToken()}.${purpose}`),
  };
};

export const META_FILE = "meta.json";
export const ARTIFACT_DIR = "artifact";

/** The key a `tmp/` name belongs to, if it follows the `<key>.<token>.<purpose>` pattern. */
export const keyOfTmpName = (name: string): string | undefined => {
  const key = name.slice(0, 64);
  return isKey(key) && name[64] === "." ? key : undefined;
};
