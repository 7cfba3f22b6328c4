// An attendee answers an invitation from the link in the mail they got:
// on a phone, signed in to nothing, the link opens a confirmation page
// (opening it records nothing) and one tap records the answer; the
// organizer sees it on the meeting page and the count on the home page.
// The demo server keeps its mails as .eml files in MAIL_DIR (scripts/test.sh
// passes <data dir>/mail).
import AxeBuilder from "@axe-core/playwright";
import { devices, expect, test, type Page } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const USER = process.env.DEMO_USER ?? "demo";
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-scheduler";
const RUN = Date.now().toString(36);
const NAME = `Answer me ${RUN}`;
const ATTENDEE = `answer-${RUN}@partner.example`;

async function noViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, `axe violations on ${what}`).toEqual([]);
}

/// The text of every part of a raw message, transfer encodings undone.
function decodedParts(raw: string): string {
  return raw
    .split(/\r?\n--[^\r\n]+\r?\n/)
    .map((chunk) => {
      const at = chunk.search(/\r?\n\r?\n/);
      if (at < 0) return chunk;
      const head = chunk.slice(0, at);
      const body = chunk.slice(at).trim();
      if (/Content-Transfer-Encoding:\s*base64/i.test(head)) {
        return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
      }
      if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(head)) {
        const soft = body.replace(/=\r?\n/g, "");
        const bytes: number[] = [];
        for (let i = 0; i < soft.length; i++) {
          if (soft[i] === "=" && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
            bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
            i += 2;
          } else {
            bytes.push(...Buffer.from(soft[i], "utf8"));
          }
        }
        return Buffer.from(bytes).toString("utf8");
      }
      return body;
    })
    .join("\n");
}

/// The answer links of the newest mail to `to`, waiting for it to arrive.
async function answerLinks(to: string): Promise<Record<string, string>> {
  const dir = process.env.MAIL_DIR;
  expect(dir, "MAIL_DIR names the demo server's mail folder").toBeTruthy();
  let found: Record<string, string> | null = null;
  await expect
    .poll(
      () => {
        const names = readdirSync(dir!).filter((n) => n.endsWith(".eml")).sort();
        for (const name of names.reverse()) {
          const raw = readFileSync(join(dir!, name), "utf8");
          if (!raw.includes(`X-Envelope-To: ${to}`)) continue;
          const text = decodedParts(raw);
          const get = (label: string) => text.match(new RegExp(`^${label}: (https?://\\S+)`, "m"))?.[1];
          const accept = get("Accept");
          const decline = get("Decline");
          if (accept && decline) {
            found = { accept, decline };
            return true;
          }
        }
        return false;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  return found!;
}

async function signedInWithoutScript(browser: import("@playwright/test").Browser): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
  return page;
}

test("an attendee opens the answer link of their invitation on a phone and confirms", async ({ browser }, testInfo) => {
  // The organizer invites someone (the plain forms, as without JavaScript).
  const organizer = await signedInWithoutScript(browser);
  await organizer.getByRole("link", { name: "Schedule meeting" }).click();
  await organizer.getByLabel("Name", { exact: true }).fill(NAME);
  await organizer.getByRole("button", { name: "Next" }).click();
  await organizer.getByLabel("Date", { exact: true }).fill("2030-07-02");
  await organizer.getByLabel("From", { exact: true }).fill("09:00");
  await organizer.getByLabel("Duration (h:mm)", { exact: true }).fill("0:30");
  await organizer.getByRole("button", { name: "Next" }).click();
  await expect(organizer.locator(".step-count")).toContainText("Step 3 of 3");
  await organizer.getByLabel("E-mail", { exact: true }).fill(ATTENDEE);
  await organizer.getByRole("button", { name: "Add", exact: true }).click();
  await organizer.getByRole("button", { name: "Create" }).click();
  await expect(organizer.locator(".toast")).toContainText("Meeting created");

  const links = await answerLinks(ATTENDEE);

  // The attendee's phone: no session, no cookies.
  const phone = await browser.newContext({ ...devices["Pixel 7"] });
  const page = await phone.newPage();
  await page.goto(links.accept);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Accept this invitation?");
  await expect(page.locator(".answer-meeting")).toContainText(NAME);
  await page.screenshot({ path: testInfo.outputPath("answer-confirm.png"), fullPage: true });
  await noViolations(page, "the answer confirmation");

  // Opening the link recorded nothing yet.
  const meetingRow = organizer.locator(".meeting", { hasText: NAME });
  await meetingRow.getByRole("link", { name: NAME, exact: true }).click();
  await expect(organizer.locator(".delivery .answer")).toHaveText(["No answer yet"]);
  const meetingUrl = organizer.url();

  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page.getByRole("status")).toHaveText("Your answer: Accepted");
  await page.screenshot({ path: testInfo.outputPath("answer-recorded.png"), fullPage: true });
  await noViolations(page, "the recorded answer");
  await organizer.goto(meetingUrl);
  await expect(organizer.locator(".delivery .answer")).toHaveText(["Accepted"]);
  await organizer.goto("/");
  await expect(organizer.locator(".meeting", { hasText: NAME }).locator(".answers")).toHaveText("1 accepted");

  // The same link again: nothing to confirm.
  await page.goto(links.accept);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This link cannot be used");
  await noViolations(page, "an unusable link");

  // A change of mind, from the page's own link.
  await page.goto(links.decline);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Decline this invitation?");
  await page.getByRole("button", { name: "Decline" }).click();
  await expect(page.getByRole("status")).toHaveText("Your answer: Declined");
  await page.locator(".answer-change").getByRole("link", { name: "Accept" }).click();
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page.getByRole("status")).toHaveText("Your answer: Accepted");
  await organizer.goto(meetingUrl);
  await expect(organizer.locator(".delivery .answer")).toHaveText(["Accepted"]);

  await phone.close();
  await organizer.context().close();
});

test("the calendar feed page makes a private address with a webcal:// link", async ({ page, request }) => {
  await page.goto("/login");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/'s Home$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("link", { name: "Calendar feed" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Calendar feed");
  await page.getByRole("button", { name: /Make (my|a new) address/ }).click();
  const url = await page.locator("input.feed-url").inputValue();
  await noViolations(page, "the new feed address");
  expect(url).toMatch(/\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
  await expect(page.locator("a.webcal")).toHaveAttribute("href", url.replace(/^https?:\/\//, "webcal://"));
  // A calendar application, without the session, gets the calendar.
  const feed = await request.get(url, { headers: { cookie: "" } });
  expect(feed.status()).toBe(200);
  expect(feed.headers()["content-type"]).toBe("text/calendar; charset=utf-8");
  expect(await feed.text()).toContain("METHOD:PUBLISH");
  const etag = feed.headers()["etag"];
  const again = await request.get(url, { headers: { "if-none-match": etag } });
  expect(again.status()).toBe(304);
});
