import { expect, test } from "@playwright/test";
import {
  freshProduct,
  PASSWORD,
  signIn,
  signInAsAdmin,
  uniqueEmail,
  uniqueWord,
  waitForHydration,
} from "./support";

test("a shopper signs in to review, fixes a mistake, edits the review, and an admin removes it", async ({
  page,
  browser,
  baseURL,
}) => {
  const { page: productPage } = await freshProduct(browser, baseURL!, `Tide lamp ${uniqueWord()}`);
  const email = uniqueEmail("reviewer");
  const signup = await browser.newContext({ baseURL });
  await signup.request.post("/api/register", {
    form: { name: "Rita Reviewer", email, password: PASSWORD },
    headers: { Origin: baseURL! },
  });
  await signup.close();

  await page.goto(productPage);
  const reviews = page.getByRole("region", { name: "Customer reviews" });
  await expect(reviews.getByText("No reviews yet.")).toBeVisible();
  await waitForHydration(page);
  await reviews.getByRole("link", { name: "Sign in to write a review" }).click();
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(new RegExp(`${productPage}#reviews$`));

  // Stars chosen but nothing written: the form says what is missing.
  await waitForHydration(page);
  await reviews.getByLabel("4 stars").check();
  await reviews.getByRole("button", { name: "Submit review" }).click();
  await expect(reviews.getByText("Tell other shoppers what you think.")).toBeVisible();

  await reviews.getByLabel("Title (optional)").fill("Warm light");
  await reviews.getByLabel("Review", { exact: true }).fill("Bright enough to read by, <b>and</b> quiet.");
  await reviews.getByRole("button", { name: "Submit review" }).click();
  const review = reviews.getByTestId("review");
  await expect(review).toHaveCount(1);
  await expect(review).toContainText("Rita R.");
  await expect(review).toContainText("Bright enough to read by, <b>and</b> quiet.");
  await expect(review).toContainText("4 out of 5 stars");
  await expect(reviews.getByTestId("rating-summary")).toHaveText(/4\.0 out of 5/);
  await expect(reviews.getByText("1 rating", { exact: true })).toBeVisible();

  // The shopper changes their mind: the same review is updated, not a second one added.
  await reviews.getByLabel("2 stars").check();
  await reviews.getByRole("button", { name: "Update review" }).click();
  await expect(reviews.getByTestId("rating-summary")).toHaveText(/2\.0 out of 5/);
  await page.reload();
  await expect(review).toHaveCount(1);
  await expect(review).toContainText("2 out of 5 stars");

  // An admin moderating the shop removes it.
  const admin = await browser.newPage({ baseURL });
  await admin.goto(`/login?next=${encodeURIComponent(productPage)}`);
  await signInAsAdmin(admin);
  await expect(admin).toHaveURL(new RegExp(`${productPage}$`));
  await waitForHydration(admin);
  const moderated = admin.getByRole("region", { name: "Customer reviews" });
  await moderated.getByRole("button", { name: "Remove review" }).click();
  await expect(moderated.getByText("No reviews yet.")).toBeVisible();
  await admin.close();

  await page.reload();
  await expect(reviews.getByText("No reviews yet.")).toBeVisible();
});
