import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SHOP, stockedProducts } from "../tests/support";

// Lighthouse (pinned in package.json) on Debian's Chromium, mobile emulation with its default
// throttling, against the seeded release build. The HTML reports stay in target/lighthouse.
const REPORTS = path.join(SHOP.root, "target/lighthouse");
const MINIMUM: Record<string, number> = {
  performance: 95,
  accessibility: 100,
  "best-practices": 100,
  seo: 100,
};

type Audit = { id: string; title: string; score: number | null; scoreDisplayMode: string };
type Report = {
  categories: Record<string, { score: number; auditRefs: { id: string; weight: number }[] }>;
  audits: Record<string, Audit>;
};

function lighthouse(name: string, url: string): Report {
  fs.mkdirSync(REPORTS, { recursive: true });
  const output = path.join(REPORTS, name);
  execFileSync(
    path.join(__dirname, "../node_modules/.bin/lighthouse"),
    [
      url,
      "--quiet",
      "--output=json",
      "--output=html",
      `--output-path=${output}`,
      `--only-categories=${Object.keys(MINIMUM).join(",")}`,
      "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ],
    { env: { ...process.env, CHROME_PATH: "/usr/bin/chromium" }, stdio: "inherit", timeout: 180_000 },
  );
  return JSON.parse(fs.readFileSync(`${output}.report.json`, "utf8"));
}

/** The audits that cost a category points, to say why it scored below its minimum. */
function failing(report: Report, category: string): string[] {
  return report.categories[category].auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => report.audits[ref.id])
    .filter((audit) => audit.scoreDisplayMode !== "notApplicable" && audit.score !== null && audit.score < 1)
    .map((audit) => `${audit.id} (${Math.round((audit.score ?? 0) * 100)}): ${audit.title}`);
}

test("home, a product and a search score what a shop should in Lighthouse", async ({ page, baseURL }) => {
  const [product] = await stockedProducts(page, 1);
  const pages: [string, string][] = [
    ["home", "/"],
    ["product", `/p/${product.slug}`],
    ["search", "/search?q=bag"],
  ];
  const lines: string[] = [];
  for (const [name, route] of pages) {
    const report = lighthouse(name, `${baseURL}${route}`);
    const scores = Object.keys(MINIMUM).map((c) => Math.round(report.categories[c].score * 100));
    lines.push(`| ${name} | ${scores.join(" | ")} |`);
    for (const [category, minimum] of Object.entries(MINIMUM)) {
      const score = Math.round(report.categories[category].score * 100);
      expect.soft(score, `${name} ${category}: ${failing(report, category).join("; ")}`).toBeGreaterThanOrEqual(minimum);
    }
  }
  console.log(
    `\n| Page | ${Object.keys(MINIMUM).join(" | ")} |\n|---|${"---:|".repeat(4)}\n${lines.join("\n")}\n`,
  );
});
