import { expect, test, type Page } from "@playwright/test";

// The demo's Call Bridge simulator has a live call with two people in the
// demo organizer's own space (server/src/demo.rs): a meeting scheduled in
// that space shows them on its page and on the home page while it runs.
const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";
const NAME = `Live meeting ${Date.now().toString(36)}`;

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/// Today in the demo organizer's zone, as the wizard's date field wants it.
function todayInParis(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date());
}

test("a running meeting shows who is in its space", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);

  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(NAME);
  await page.getByLabel("Use an existing space for this meeting").check();
  await page.getByLabel("Existing space", { exact: true }).selectOption({ label: "Demo Organizer's space (demo.organizer)" });
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  // All day today: it is running now.
  await page.getByLabel("Date", { exact: true }).fill(todayInParis());
  await page.getByLabel("From", { exact: true }).fill("00:00");
  await page.getByLabel("To", { exact: true }).fill("23:59");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByLabel("E-mail", { exact: true }).fill("guest@partner.example");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".attendees .email")).toHaveText(["guest@partner.example"]);
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting created");

  const row = page.locator(".meeting", { hasText: NAME });
  await expect(row.locator(".badge.now")).toBeVisible();
  await expect(row.locator(".live")).toContainText("2 participants");
  await expect(row.locator(".live .names")).toHaveText("Alice Martin, Bob Durand");

  await row.getByRole("link", { name: NAME, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(NAME);
  await expect(page.locator(".meeting-page .live")).toContainText("Live now");
  await expect(page.locator(".meeting-page .live")).toContainText("2 participants: Alice Martin, Bob Durand");

  // Clean up: this meeting is the demo's, leave nothing behind.
  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await page.getByRole("button", { name: "Delete meeting" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting deleted");
});
