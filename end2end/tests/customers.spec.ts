import { expect, test } from "@playwright/test";
import { PASSWORD, setUpTwoStep, signIn, signInAsAdmin, uniqueEmail, waitForHydration } from "./support";

test("the owner makes a new shopper support staff, who sees only their pages, and the audit log says so", async ({
  page,
  browser,
  baseURL,
}) => {
  const email = uniqueEmail("staff");
  const signup = await browser.newContext({ baseURL });
  await signup.request.post("/api/register", {
    form: { name: "Sam Staff", email, password: PASSWORD },
    headers: { Origin: baseURL! },
  });
  await signup.close();

  await page.goto("/login?next=/admin/users");
  const owner = await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Name or email").fill(email);
  await page.getByRole("button", { name: "Find" }).click();
  const row = page.getByTestId("account");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Customer");
  await row.getByLabel("Role of Sam Staff").selectOption({ label: "Support" });
  await row.getByRole("button", { name: "Change" }).click();
  await expect(row.getByRole("cell", { name: "Support", exact: true })).toBeVisible();

  const staff = await browser.newPage({ baseURL });
  await staff.goto("/login?next=/admin");
  await signIn(staff, email, PASSWORD);
  // Staff need two-step sign-in before the admin opens.
  await expect(staff).toHaveURL(/\/account\/security\?next=%2Fadmin|\/account\/security\?next=\/admin/);
  await expect(staff.getByRole("alert")).toContainText("Staff accounts need two-step sign-in");
  await setUpTwoStep(staff, PASSWORD);
  await staff.getByRole("link", { name: "Continue" }).click();
  await expect(staff.getByRole("heading", { name: "Admin dashboard" })).toBeVisible();
  await expect(staff.getByText("Your role's pages are in the menu above.")).toBeVisible();
  const menu = staff.getByRole("navigation", { name: "Admin" });
  await expect(menu.getByRole("link")).toHaveText(["Dashboard", "Orders", "Customers"]);
  await menu.getByRole("link", { name: "Customers" }).click();
  await expect(staff.getByRole("heading", { name: "Customers" })).toBeVisible();
  await expect(staff.getByTestId("account").first()).toBeVisible();
  await expect(staff.getByRole("button", { name: "Change" })).toHaveCount(0);
  // A page the role does not open, typed into the address bar.
  await staff.goto("/admin/products");
  await expect(staff.getByRole("heading", { name: "Access denied" })).toBeVisible();
  await expect(staff.getByRole("heading", { name: "Products" })).toHaveCount(0);
  await staff.close();

  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  // Other journeys' `create-admin` runs log role changes too (as the command line's): this
  // owner's are found by their email.
  await page.getByLabel("What").selectOption({ label: "Role changed" });
  await page.getByLabel("Who (email)").fill(owner);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=staff\.role/);
  const entry = page.getByTestId("audit-entry").first();
  await expect(entry).toContainText("Role changed");
  await expect(entry).toContainText("Customer → Support");
});
