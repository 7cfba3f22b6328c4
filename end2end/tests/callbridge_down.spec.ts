import { expect, test } from "@playwright/test";

// A second scheduler whose Call Bridge does not answer (started by scripts/test.sh).
const DOWN = process.env.CB_DOWN_URL;
const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";

test("with the Call Bridge down, the wizard says so and creates nothing", async ({ page }) => {
  test.skip(!DOWN, "CB_DOWN_URL is set by scripts/test.sh");
  await page.goto(`${DOWN}/login`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
  await expect(page.locator(".notice")).toContainText("Your spaces cannot be listed right now");

  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await expect(page.locator(".notice")).toContainText("The Call Bridge cannot be reached");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Name", { exact: true }).fill("Never made");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("alert").first()).toContainText("Call Bridge");
  await expect(page.locator(".step-count")).toContainText("Step 1 of 3");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Never made");
  await page.goto(`${DOWN}/`);
  await expect(page.locator(".meeting")).toHaveCount(0);
});
