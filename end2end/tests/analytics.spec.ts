import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import { signInAsAdmin, waitForHydration } from "./support";

test("an admin reads sales and behaviour for a chosen period", async ({ page }) => {
  await page.goto("/login?next=/admin/analytics");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Analytics" })).toBeVisible();
  await expect(page.getByTestId("revenue")).toHaveText(/^\$[\d,]+\.\d\d$/);
  await expect(page.getByTestId("funnel")).toContainText("Product views");
  await expect(page.getByRole("link", { name: "Last 30 days" })).toHaveAttribute("aria-current", "page");
  const days = page.getByRole("region", { name: "Sales by day" }).getByRole("row");
  await expect(days).toHaveCount(31);

  await waitForHydration(page);
  await page.getByRole("link", { name: "Last 7 days" }).click();
  await expect(page).toHaveURL("/admin/analytics?days=7");
  await expect(days).toHaveCount(8);
  await expect(page.getByRole("link", { name: "Last 7 days" })).toHaveAttribute("aria-current", "page");

  // Each report downloads as CSV, for the period shown.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download sales by day as CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("sales-last-7-days.csv");
  const lines = fs.readFileSync(await download.path(), "utf8").trim().split("\n");
  expect(lines[0]).toBe("Day,Orders,Revenue");
  expect(lines).toHaveLength(8);
  expect(lines[7]).toMatch(/^\d{4}-\d\d-\d\d,\d+,\d+\.\d\d$/);
});
