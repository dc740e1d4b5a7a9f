import { expect, test } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, signIn, uniqueEmail, waitForHydration } from "./support";

test("an admin finds a new shopper and makes them an admin", async ({ page, browser, baseURL }) => {
  const email = uniqueEmail("staff");
  const signup = await browser.newContext({ baseURL });
  await signup.request.post("/api/register", {
    form: { name: "Sam Staff", email, password: PASSWORD },
    headers: { Origin: baseURL! },
  });
  await signup.close();

  await page.goto("/login?next=/admin/users");
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
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
  await expect(staff.getByRole("heading", { name: "Admin dashboard" })).toBeVisible();
  await staff.close();
});
