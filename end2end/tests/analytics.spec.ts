import { expect, test } from "@playwright/test";
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
});
