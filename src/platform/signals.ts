/** Ctrl-C: a listener for SIGINT that can be removed again. */
import process from "node:process";
import { isDeno } from "./runtime.ts";

/** Calls `handler` on SIGINT until the returned function is called. */
export const onInterrupt = (handler: () => void): () => void => {
  if (isDeno()) {
    Deno.addSignalListener("SIGINT", handler);
    return () => {
      try {
        Deno.removeSignalListener("SIGINT", handler);
      } catch {
        // already removed
      }
    };
  }
  process.on("SIGINT", handler);
  return () => void process.off("SIGINT", handler);
};
