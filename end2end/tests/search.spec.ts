import { expect, test } from "@playwright/test";
import { stockedProducts, waitForHydration } from "./support";

/** Swaps two different letters near the middle of the longest word: a typical typo. */
function withTypo(title: string): string {
  const words = title.split(" ");
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
  let i = Math.floor(longest.length / 2);
  while (i < longest.length - 1 && longest[i] === longest[i - 1]) i++;
  const typo = longest.slice(0, i - 1) + longest[i] + longest[i - 1] + longest.slice(i + 1);
  return words.map((w) => (w === longest ? typo : w)).join(" ");
}

function prices(texts: string[]): number[] {
  return texts.map((t) => Number(t.replace(/[$,]/g, "")));
}

test("a search with a typo still finds the product", async ({ page }) => {
  const [{ title }] = await stockedProducts(page, 1);
  const query = withTypo(title);
  expect(query).not.toBe(title);

  await page.goto("/");
  await page.getByLabel("Search").fill(query);
  await page.getByLabel("Search").press("Enter");

  await expect(page).toHaveURL(/\/search\?q=/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(query);
  await expect(page.getByRole("region", { name: "Results" }).getByRole("link", { name: title })).toBeVisible();
});

test("filters and sorting live in the URL and change the results", async ({ page }) => {
  await page.goto("/search");
  await waitForHydration(page);
  const count = page.getByTestId("result-count");
  const allText = await count.textContent();

  await page.getByLabel("Category").selectOption("electronics");
  await page.getByLabel("Min price").fill("20");
  await page.getByLabel("Max price").fill("500");
  await page.getByLabel("Sort by").selectOption({ label: "Price: low to high" });
  await page.getByRole("button", { name: "Apply filters" }).click();

  await expect(page).toHaveURL(/category=electronics/);
  await expect(page).toHaveURL(/min_price=20/);
  await expect(page).toHaveURL(/max_price=500/);
  await expect(page).toHaveURL(/sort=price_asc/);
  await expect(count).not.toHaveText(allText ?? "");
  await expect(page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Electronics" })).toBeVisible();

  const results = page.getByRole("region", { name: "Results" });
  const shown = prices(await results.getByText(/^\$[\d,]+\.\d\d$/).allTextContents());
  expect(shown.length).toBeGreaterThan(0);
  expect(shown.every((p) => p >= 20 && p <= 500)).toBeTruthy();
  expect(shown).toEqual([...shown].sort((a, b) => a - b));

  // Back to every product: other journeys add and delete products meanwhile, so the count is
  // compared with the filtered one, not with the first.
  const filteredText = await count.textContent();
  await page.goBack();
  await expect(page).toHaveURL("/search");
  await expect(page.getByLabel("Category")).toHaveValue("");
  await expect(page.getByLabel("Min price")).toHaveValue("");
  await expect(count).not.toHaveText(filteredText ?? "");
});

test("a category page lists its products and links its departments", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "Electronics" }).click();
  await expect(page).toHaveURL("/c/electronics");
  await expect(page.getByRole("heading", { level: 1, name: "Electronics" })).toBeVisible();
  const response = await page.request.get("/c/no-such-category");
  expect(response.status()).toBe(404);
});

test("the search box suggests products as you type, by mouse or keyboard", async ({ page }) => {
  const [{ title }] = await stockedProducts(page, 1);
  // Everything but the last two characters: the last word is still being typed.
  const typed = title.slice(0, -2);

  await page.goto("/");
  await waitForHydration(page);
  const box = page.getByRole("combobox", { name: "Search" });
  await box.pressSequentially(typed, { delay: 5 });
  const list = page.getByRole("listbox", { name: "Suggestions" });
  // Wait, as a person would, until the list has caught up with the typing.
  await expect(list).toHaveAttribute("aria-busy", "false");
  await expect(list.getByRole("option", { name: title })).toBeVisible();
  expect(await list.getByRole("option").count()).toBeLessThanOrEqual(8);
  await expect(box).toHaveAttribute("aria-expanded", "true");

  await box.press("ArrowDown");
  await expect(list.getByRole("option").first()).toHaveAttribute("aria-selected", "true");
  const first = await list.getByRole("option").first().textContent();
  await box.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: first ?? "" })).toBeVisible();
  await expect(page).toHaveURL(/\/p\//);

  await box.fill("");
  await box.pressSequentially(typed, { delay: 5 });
  await expect(list).toHaveAttribute("aria-busy", "false");
  await list.getByRole("option", { name: title }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
});
