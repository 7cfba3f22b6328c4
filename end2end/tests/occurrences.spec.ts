import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";
const RUN = Date.now().toString(36);
const NAME = `Playwright weekly ${RUN}`;

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function noViolations(page: Page, what: string) {
  await hydrated(page);
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, `axe violations on ${what}`).toEqual([]);
}

test("cancel one occurrence and move another of a weekly meeting", async ({ page }, testInfo) => {
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);

  // A weekly meeting, 3 times, from Monday 2031-03-03 09:00 (Paris).
  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(NAME);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  // Step 2 is a page of its own: its fields are filled once it is live
  // (before, the repeat choice would not yet show what applies to it).
  await hydrated(page);
  await page.getByLabel("Date", { exact: true }).fill("2031-03-03");
  await page.getByLabel("From", { exact: true }).fill("09:00");
  await page.getByLabel("Duration (h:mm)", { exact: true }).fill("1:00");
  await page.getByLabel("Time zone", { exact: true }).selectOption("Europe/Paris");
  await page.getByLabel("Repeat", { exact: true }).selectOption("weekly");
  await page.getByLabel("After a number of meetings").check();
  await page.locator("#repeat_count").fill("3");
  await expect(page.locator("#repeat_count")).toHaveValue("3");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting created");

  await page.locator(".meeting", { hasText: NAME }).first().locator("a.name").click();
  await expect(page.getByRole("heading", { name: "Next occurrences" })).toBeVisible();
  const rows = page.locator("li.occurrence");
  await expect(rows).toHaveCount(3);
  await noViolations(page, "meeting page with occurrences");

  // Cancel the second, after a confirmation.
  await rows.nth(1).getByRole("link", { name: "Cancel", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Cancel this occurrence?" })).toBeVisible();
  await noViolations(page, "cancel confirmation");
  await shot("cancel-confirmation");
  await page.getByRole("button", { name: "Cancel occurrence" }).click();
  await expect(page.locator(".occurrences .notice")).toContainText("The occurrence was cancelled");
  await expect(rows).toHaveCount(2);

  // Move the last one to 14:00-15:30, keyboard only in the form.
  await rows.nth(1).getByRole("link", { name: "Move" }).click();
  await expect(page.getByRole("heading", { name: "Move this occurrence" })).toBeVisible();
  await noViolations(page, "move form");
  await page.getByLabel("From", { exact: true }).fill("14:00");
  await page.getByLabel("To", { exact: true }).fill("15:30");
  await shot("move-form");
  await page.getByLabel("To", { exact: true }).press("Enter");
  await expect(page.locator(".occurrences .notice")).toContainText("The occurrence was changed");
  await expect(rows.nth(1)).toContainText("14:00");
  await expect(rows.nth(1).locator(".badge.moved")).toHaveText("changed");

  // Clean up: delete the meeting.
  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await page.getByRole("button", { name: "Delete meeting" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting deleted");
});
