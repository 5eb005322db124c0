/**
 * Headless Chromium for the report tests: Debian's `chromium` driven by playwright-core, with
 * every console error, page error and non-local request recorded. Tests skip when
 * /usr/bin/chromium is absent (`apt-get install chromium`; .ci/run installs it).
 */
import "./procGuard.ts";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

export const skipMessage =
  `${CHROMIUM} is absent: browser tests skip (install Debian's chromium package)`;

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface PageLog {
  readonly consoleErrors: string[];
  readonly requests: string[];
}

/**
 * Opens `url` in a fresh headless Chromium, runs `check` on the loaded page and closes the
 * browser in every case (no chromium process outlives a test).
 */
export const withPage = async <A>(
  url: string,
  check: (page: Page, log: PageLog) => Promise<A>,
): Promise<A> => {
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const log: PageLog = { consoleErrors: [], requests: [] };
    page.on("console", (m) => {
      if (m.type() === "error") log.consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => log.consoleErrors.push(`page error: ${e.message}`));
    page.on("request", (r) => log.requests.push(r.url()));
    await page.goto(url, { waitUntil: "load" });
    return await check(page, log);
  } finally {
    await browser?.close();
  }
};

export interface Rendered {
  readonly svgPaths: number;
  readonly chartPaths: number;
  readonly images: readonly { src: string; complete: boolean; width: number }[];
  readonly tables: number;
  readonly text: string;
}

/**
 * Facts about what rendered: SVG paths with geometry, and every image's decoded width. (A string
 * expression: the test files are type-checked without the DOM library.)
 */
export const rendered = (page: Page): Promise<Rendered> =>
  page.evaluate(`(() => {
    const drawn = (sel) => [...document.querySelectorAll(sel)]
      .filter((p) => (p.getAttribute("d") || "").trim().length > 0).length;
    return {
      svgPaths: drawn("svg path"),
      chartPaths: drawn("figure.chart svg path"),
      images: [...document.images].map((i) => ({
        src: i.getAttribute("src") || "", complete: i.complete, width: i.naturalWidth,
      })),
      tables: document.querySelectorAll("table").length,
      text: document.body.innerText,
    };
  })()`);
