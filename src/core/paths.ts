/** File URL helpers (node:url's, re-exported so modules agree on one implementation). */
import { fileURLToPath, pathToFileURL } from "node:url";

export const fromFileUrl = (url: string): string => fileURLToPath(url);
export const toFileUrl = (path: string): string => pathToFileURL(path).href;
