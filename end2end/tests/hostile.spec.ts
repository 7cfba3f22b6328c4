import { expect, test, type Page } from "@playwright/test";

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";
const RUN = Date.now().toString(36);
// Markup that would break out of <title> if it were not escaped.
const NAME = `</title><script>window.__xss = "${RUN}"</script><img src=x onerror="window.__xss='img'">`;

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

test("a meeting name made of markup stays text everywhere", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);

  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(NAME);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  await page.getByLabel("Date", { exact: true }).fill("2031-04-07");
  await page.getByLabel("From", { exact: true }).fill("09:00");
  await page.getByLabel("Duration (h:mm)", { exact: true }).fill("0:30");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting created");
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();

  // The meeting page, loaded from the server (not only hydrated).
  const link = page.locator(".meeting a.name", { hasText: `window.__xss = "${RUN}"` }).first();
  const href = await link.getAttribute("href");
  await page.goto(href!);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(NAME);
  await expect(page).toHaveTitle(`${NAME} · Meeting Scheduler`);
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();

  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await page.getByRole("button", { name: "Delete meeting" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting deleted");
});
