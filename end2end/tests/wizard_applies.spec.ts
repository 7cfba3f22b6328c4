import { expect, test, type Browser, type Page } from "@playwright/test";

// The wizard shows only what applies (with JavaScript) and says when the
// first meeting of a repeating one is, before Create; without JavaScript
// every field stays visible and the first meeting shows on the last step.

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";
const RUN = Date.now().toString(36);

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function signIn(page: Page, js: boolean) {
  await page.goto("/login");
  if (js) await hydrated(page);
  await page.locator("input[name=username]").fill(USER);
  await page.locator("input[name=password]").fill(PASSWORD);
  await page.locator("form button[type=submit]").click();
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.goto("/schedule");
  if (js) await hydrated(page);
}

async function toStep2(page: Page, name: string) {
  await page.locator("#name").fill(name);
  await page.locator("button[value=next]").click();
  await expect(page.locator("#date")).toBeVisible();
}

test("with JavaScript only what applies is shown, and the first meeting follows the fields", async ({ page }) => {
  await signIn(page, true);
  // Step 1: the existing-space list once "Use an existing space" is chosen.
  const spaces = page.locator("#space_id");
  await expect(spaces).toBeHidden();
  await page.getByLabel("Use an existing space for this meeting").check();
  await expect(spaces).toBeVisible();
  await page.getByLabel("Create a space for this meeting").check();
  await expect(spaces).toBeHidden();
  await toStep2(page, `Applies ${RUN}`);

  // Step 2, no repeat: no interval, weekdays, monthly choices or end.
  const weekdays = page.locator("fieldset.weekdays");
  const monthly = page.locator("fieldset.monthly");
  const every = page.locator("#repeat_interval");
  const ends = page.locator("fieldset.repeat-end");
  const count = page.locator("#repeat_count");
  const until = page.locator("#repeat_until");
  const first = page.locator(".first-meeting");
  for (const l of [weekdays, monthly, every, ends]) await expect(l).toBeHidden();

  // Friday 2030-06-07, weekly on Tuesday: the first meeting is the 11th.
  await page.locator("#date").fill("2030-06-07");
  await page.locator("#from").fill("10:00");
  await page.locator("#repeat").selectOption("weekly");
  await expect(weekdays).toBeVisible();
  await expect(monthly).toBeHidden();
  await expect(every).toBeVisible();
  await expect(page.locator(".repeat-unit")).toHaveText("week");
  await every.fill("2");
  await expect(page.locator(".repeat-unit")).toHaveText("weeks");
  await every.fill("1");
  await every.blur();
  await page.getByRole("checkbox", { name: "Tuesday" }).check();
  await expect(first).toHaveText("First meeting: Tuesday, Jun 11, 2030");

  // The end fields once an end is chosen.
  await expect(ends).toBeVisible();
  await expect(count).toBeHidden();
  await expect(until).toBeHidden();
  await page.getByLabel("After a number of meetings").check();
  await expect(count).toBeVisible();
  await expect(until).toBeHidden();
  await page.getByLabel("On a date").check();
  await expect(count).toBeHidden();
  await expect(until).toBeVisible();
  await page.getByRole("radio", { name: "Never" }).check();

  // Monthly on the last Saturday, from Saturday the 8th: the 29th.
  await page.locator("#repeat").selectOption("monthly");
  await expect(monthly).toBeVisible();
  await expect(weekdays).toBeHidden();
  await expect(page.locator(".repeat-unit")).toHaveText("month");
  await page.locator("#date").fill("2030-06-08");
  await page.getByLabel("On the last such weekday of the month").check();
  await expect(first).toHaveText("First meeting: Saturday, Jun 29, 2030");

  // Back to no repeat: no first-meeting line, nothing of the repetition.
  await page.locator("#repeat").selectOption("none");
  await expect(first).toHaveText("");
  for (const l of [weekdays, monthly, every, ends]) await expect(l).toBeHidden();

  // Monthly again, then the last step says it before Create.
  await page.locator("#repeat").selectOption("monthly");
  await expect(first).toHaveText("First meeting: Saturday, Jun 29, 2030");
  await page.locator("button[value=next]").click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await expect(page.locator(".first-meeting")).toHaveText("First meeting: Saturday, Jun 29, 2030");
  await page.locator("button[value=create]").click();
  await expect(page.locator(".toast")).toContainText("Meeting created");
  await page.locator(".meeting", { hasText: `Applies ${RUN}` }).first().locator("a.name").click();
  await expect(page.locator("dd.when")).toContainText("Jun 29, 2030");
  await expect(page.locator("li.occurrence .when").first()).toContainText("Saturday, Jun 29, 2030");
  // Gone again, so that a rerun on the same server (and the other specs)
  // do not find this endless series before their own meetings.
  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await page.getByRole("button", { name: "Delete meeting" }).click();
  await expect(page.locator(".toast")).toContainText("Meeting deleted");
});

test("the first meeting in French", async ({ browser }) => {
  const context = await browser.newContext({ locale: "fr-FR", extraHTTPHeaders: { "Accept-Language": "fr" } });
  const page = await context.newPage();
  await signIn(page, true);
  await toStep2(page, `Français ${RUN}`);
  await page.locator("#date").fill("2030-06-07");
  await page.locator("#repeat").selectOption("weekly");
  await page.locator("input[name=repeat_day_TU]").check();
  await expect(page.locator(".first-meeting")).toHaveText("Première réunion : mardi 11 juin 2030");
  await expect(page.locator(".repeat-unit")).toHaveText("semaine");
  await context.close();
});

async function noScript(browser: Browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  return { context, page: await context.newPage() };
}

test("without JavaScript every field is there and the last step says the first meeting", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await signIn(page, false);
  await expect(page.locator("#space_id")).toBeVisible();
  await toStep2(page, `No script ${RUN}`);
  for (const sel of ["fieldset.weekdays", "fieldset.monthly", "#repeat_interval", "#repeat_count", "#repeat_until"]) {
    await expect(page.locator(sel)).toBeVisible();
  }
  await page.locator("#date").fill("2030-06-07");
  await page.locator("#from").fill("10:00");
  await page.locator("#repeat").selectOption("weekly");
  await page.locator("input[name=repeat_day_TU]").check();
  await page.locator("button[value=next]").click();
  await expect(page.locator(".step-count")).toContainText("Step 3 of 3");
  await expect(page.locator(".first-meeting")).toHaveText("First meeting: Tuesday, Jun 11, 2030");
  await context.close();
});
