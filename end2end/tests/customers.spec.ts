import { expect, test } from "@playwright/test";
import { PASSWORD, setUpTwoStep, signIn, signInAsAdmin, uniqueEmail, waitForHydration } from "./support";

test("an admin finds a new shopper and makes them an admin", async ({ page, browser, baseURL }) => {
  const email = uniqueEmail("staff");
  const signup = await browser.newContext({ baseURL });
  await signup.request.post("/api/register", {
    form: { name: "Sam Staff", email, password: PASSWORD },
    headers: { Origin: baseURL! },
  });
  await signup.close();

  await page.goto("/login?next=/admin/users");
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Name or email").fill(email);
  await page.getByRole("button", { name: "Find" }).click();
  const row = page.getByTestId("account");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Customer");
  await row.getByRole("button", { name: "Make admin" }).click();
  await expect(row).toContainText("Admin");
  await expect(row.getByRole("button", { name: "Make customer" })).toBeVisible();

  const staff = await browser.newPage({ baseURL });
  await staff.goto("/login?next=/admin");
  await signIn(staff, email, PASSWORD);
  // Staff need two-step sign-in before the admin opens.
  await expect(staff).toHaveURL(/\/account\/security\?next=%2Fadmin|\/account\/security\?next=\/admin/);
  await expect(staff.getByRole("alert")).toContainText("Staff accounts need two-step sign-in");
  await setUpTwoStep(staff, PASSWORD);
  await staff.getByRole("link", { name: "Continue" }).click();
  await expect(staff.getByRole("heading", { name: "Admin dashboard" })).toBeVisible();
  await staff.close();
});
