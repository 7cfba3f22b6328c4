import { expect, test, type Page } from "@playwright/test";

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";
// Unique per run, so a rerun against the same server finds only its own meetings.
const RUN = Date.now().toString(36);
const NAME = `Playwright planning ${RUN}`;
const MOVED = `Playwright planning ${RUN} (moved)`;
const NOSCRIPT = `No-script meeting ${RUN}`;

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function signIn(page: Page) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
  await hydrated(page);
}

test("schedule a meeting through the three steps, open it, edit it, delete it", async ({ page }, testInfo) => {
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  await signIn(page);
  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 1 of 3");
  await hydrated(page);
  // Every later step happens without a full page reload.
  await page.evaluate(() => ((window as any).__samePage = true));
  await shot("step-1");

  // Step 1: an empty name is refused with a clear message.
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator("#name-error")).toHaveText("Enter a name for the meeting.");
  await page.getByLabel("Name", { exact: true }).fill(NAME);
  await expect(page.getByLabel("Template", { exact: true })).toContainText("CoSpaceTemp-Scheduler");
  await page.getByRole("button", { name: "Next" }).click();

  // Step 2: the fields stay consistent while typing.
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  await page.getByLabel("Date", { exact: true }).fill("2030-06-12");
  await page.getByLabel("From", { exact: true }).fill("10:00");
  await page.getByLabel("Duration (h:mm)", { exact: true }).fill("1:30");
  await expect(page.getByLabel("To", { exact: true })).toHaveValue("11:30");
  await page.getByLabel("To", { exact: true }).fill("09:00");
  await expect(page.getByRole("alert")).toContainText("The end must be after the start.");
  await page.getByLabel("To", { exact: true }).fill("11:00");
  await expect(page.getByLabel("Duration (h:mm)", { exact: true })).toHaveValue("1:00");
  await shot("step-2");
  await page.getByRole("button", { name: "Next" }).click();

  // Step 3: two attendees in two roles; a bad address is refused.
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByLabel("E-mail", { exact: true }).fill("not-an-address");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator("#new_email-error")).toContainText("Enter a valid e-mail address");
  await page.getByLabel("E-mail", { exact: true }).fill("guest@partner.example");
  await page.getByLabel("Role", { exact: true }).selectOption("ExternalAccessMeth");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".attendees .email")).toHaveText(["guest@partner.example"]);
  await page.getByLabel("E-mail", { exact: true }).fill("colleague@example.com");
  await page.getByLabel("Role", { exact: true }).selectOption("InternalAccessMeth");
  await page.getByLabel("E-mail", { exact: true }).press("Enter");
  await expect(page.locator(".attendees .email")).toHaveText(["guest@partner.example", "colleague@example.com"]);
  await expect(page.locator(".attendees .role")).toHaveText(["ExternalAccessMeth", "InternalAccessMeth"]);
  await page.getByLabel("E-mail", { exact: true }).fill("extra@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".attendees .email")).toHaveCount(3);
  await page.getByRole("button", { name: "Remove extra@example.com" }).click();
  await expect(page.locator(".attendees .email")).toHaveText(["guest@partner.example", "colleague@example.com"]);
  await shot("step-3");
  await page.getByRole("button", { name: "Create" }).click();

  // Home: the toast and the meeting.
  await expect(page.locator(".toast")).toContainText("Meeting created");
  await expect(page.locator(".toast")).toContainText("This meeting has been created successfully");
  const row = page.locator(".meeting", { hasText: NAME });
  await expect(row).toBeVisible();
  await expect(row.locator(".time")).toHaveText("10:00 – 11:00");
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
  await shot("home-created");

  // The meeting page and its join links.
  await row.getByRole("link", { name: NAME, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(NAME);
  await page.getByRole("link", { name: "Dial-in information" }).click();
  await expect(page.locator(".dial-in")).toHaveCount(2);
  await expect(page.locator(".join-url a").first()).toHaveAttribute("href", /\/meeting\/\d+\?secret=/);
  await shot("dial-in");

  // Edit: rename it.
  await page.getByRole("link", { name: "General", exact: true }).click();
  await page.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByRole("heading", { name: "Edit meeting" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(MOVED);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting updated");
  const moved = page.locator(".meeting", { hasText: MOVED });
  await expect(moved).toBeVisible();

  // Delete asks first.
  await moved.getByRole("link", { name: MOVED, exact: true }).click();
  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Delete this meeting?" })).toBeVisible();
  await shot("delete-confirm");
  await page.getByRole("button", { name: "Delete meeting" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting deleted");
  await expect(page.locator(".meeting", { hasText: NAME })).toHaveCount(0);
});

test("the wizard works without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Schedule meeting" }).click();
  await page.getByLabel("Name", { exact: true }).fill(NOSCRIPT);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 2 of 3");
  await page.getByLabel("Date", { exact: true }).fill("2030-06-13");
  await page.getByLabel("From", { exact: true }).fill("14:00");
  await page.getByLabel("Duration (h:mm)", { exact: true }).fill("0:45");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await page.getByLabel("E-mail", { exact: true }).fill("someone@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".attendees .email")).toHaveText(["someone@example.com"]);
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting created");
  await expect(page.locator(".meeting", { hasText: NOSCRIPT }).locator(".time")).toHaveText("14:00 – 14:45");
  await context.close();
});
