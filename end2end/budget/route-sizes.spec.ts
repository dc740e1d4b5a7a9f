import { type Browser, type BrowserContext, expect, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { SHOP, signInAsAdmin, stockedProducts, waitForHydration } from "../tests/support";

/** Brotli kilobytes of script and WASM a page may fetch before it is interactive. */
const SHOPPER_BUDGET_KB = 200;
const ADMIN_BUDGET_KB = 450;

const PKG = path.join(SHOP.root, "target/site/pkg");

/** A bundle file's size as a browser downloads it: brotli at the highest quality. */
function brotliKB(file: string): number {
  const raw = fs.readFileSync(path.join(PKG, file));
  const compressed = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
  return compressed.length / 1000;
}

/** The `.js` and `.wasm` files a first visit to `route` fetches before the page is interactive:
 * a context of its own, so nothing comes from an earlier page's cache. */
async function fetchedBeforeInteractive(browser: Browser, route: string, from?: BrowserContext) {
  const context = await browser.newContext({ ...test.info().project.use, storageState: await from?.storageState() });
  const page = await context.newPage();
  const files = new Set<string>();
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (/^\/pkg\/[^/]+\.(js|wasm)$/.test(pathname)) files.add(pathname.slice("/pkg/".length));
  });
  await page.goto(route);
  await waitForHydration(page);
  const fetched = [...files];
  await context.close();
  return fetched;
}

type Row = { route: string; files: number; kb: number; budget: number };

function table(rows: Row[]): string {
  const lines = rows.map(
    (r) =>
      `| ${r.route} | ${r.files} | ${r.kb.toFixed(0)} | ${r.budget} | ${r.kb <= r.budget ? "ok" : "OVER"} |`,
  );
  return ["| Route | Files | KB (brotli) | Budget | |", "|---|---:|---:|---:|---|", ...lines].join("\n");
}

test("each page downloads no more script and WASM than its budget before it is interactive", async ({
  browser,
  page,
}) => {
  const [product] = await stockedProducts(page, 1);
  const home = await (await page.request.post("/api/load_home_catalog")).json();
  const shopper: [string, string][] = [
    ["home", "/"],
    ["product", `/p/${product.slug}`],
    ["search", "/search?q=bag"],
    ["category", `/c/${home.departments[0].slug}`],
    ["cart", "/cart"],
    ["checkout", "/checkout"],
    ["sign-in", "/login"],
  ];
  const rows: Row[] = [];
  for (const [name, route] of shopper) {
    const files = await fetchedBeforeInteractive(browser, route);
    rows.push({ route: name, files: files.length, kb: files.reduce((sum, f) => sum + brotliKB(f), 0), budget: SHOPPER_BUDGET_KB });
  }

  await page.goto("/login?next=/admin");
  await signInAsAdmin(page);
  await expect(page).toHaveURL(/\/admin$/);
  for (const route of ["/admin", "/admin/products", "/admin/orders", "/admin/analytics"]) {
    const files = await fetchedBeforeInteractive(browser, route, page.context());
    rows.push({ route, files: files.length, kb: files.reduce((sum, f) => sum + brotliKB(f), 0), budget: ADMIN_BUDGET_KB });
  }

  console.log(`\n${table(rows)}\n`);
  for (const row of rows) expect.soft(row.kb, row.route).toBeLessThanOrEqual(row.budget);
});
