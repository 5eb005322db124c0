/**
 * `diffrun verify [--repair]`: re-hashes every entry of the store against its `meta.json` and
 * lists the bad ones (missing, extra, resized or edited files, links, damaged metadata), naming
 * the file. Exit 1 when bad entries are found and left in place; with `--repair` they are
 * removed (the next run recomputes them) and the exit code is 0.
 *
 * Ordinary reads already check every entry they use (file list and sizes, and a re-hash of any
 * file whose stat changed); `verify` is the deep check, for a store copied between disks, after a
 * disk error, or before archiving results.
 */
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import * as Effect from "effect/Effect";
import { Store } from "../store/Store.ts";
import * as opt from "./options.ts";
import { writeStdout } from "../platform/terminal.ts";

const say = (text: string) => Effect.sync(() => writeStdout(text + "\n"));

export const makeVerifyCommand = (setExitCode: (code: number) => void) =>
  Command.make(
    "verify",
    {
      repair: Flag.Boolean("repair").pipe(
        Flag.withDescription("remove the bad entries (the next run recomputes them)"),
        Flag.withDefault(false),
      ),
      store: opt.store,
    },
    (a) =>
      Effect.gen(function* () {
        const store = yield* Store;
        const report = yield* store.audit({ repair: a.repair });
        for (const { key, reason } of report.bad) {
          yield* say(`${a.repair ? "removed" : "bad"} ${key}: ${reason}`);
        }
        const mb = (report.bytes / 1e6).toFixed(1);
        const good = report.checked - report.bad.length;
        yield* say(
          `verified ${report.checked} entr${
            report.checked === 1 ? "y" : "ies"
          }: ${good} good (${mb} MB), ${report.bad.length} bad${
            report.bad.length === 0
              ? ""
              : a.repair
              ? " (removed; the next run recomputes them)"
              : " (run `diffrun verify --repair` to remove them)"
          }`,
        );
        if (report.bad.length > 0 && !a.repair) setExitCode(1);
      }).pipe(Effect.provide(Store.layer(opt.storeRoot(a.store, opt.projectRoot())))),
  ).pipe(
    Command.withDescription(
      "re-hash every store entry and report bad ones (--repair removes them); exit 1 if any",
    ),
  );
