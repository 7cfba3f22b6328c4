-- A wrk script for bench/run.sh's creates figures: every request creates a
-- new meeting through the REST API (POST /api/v1/meetings) with one
-- attendee, its own name and a time of its own in 2031.
--   wrk -s bench/create.lua URL -- TOKEN TEMPLATE_ID PREFIX
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  token, template, prefix = args[1], args[2], args[3] or "wrk"
  n = 0
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
end

function request()
  n = n + 1
  local body = string.format(
    '{"name":"%s %d-%d","templateId":"%s","start":"2031-%02d-%02dT%02d:00",' ..
    '"durationMinutes":30,"timeZone":"UTC",' ..
    '"attendees":[{"email":"guest%d@partner.example","role":"ExternalAccessMeth"}]}',
    prefix, tid, n, template, 1 + n % 12, 1 + math.floor(n / 12) % 28,
    8 + math.floor(n / 336) % 10, n % 100)
  return wrk.format("POST", "/api/v1/meetings", headers, body)
end
