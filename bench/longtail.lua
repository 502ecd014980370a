-- wrk walks a file of URLs (one path and query a line) from a start line, wrapping at the end, and
-- counts its responses by status (a 404 past a list's last page is an answer, not an error).
--
--   wrk -t1 -c4 -d20s --latency -s bench/longtail.lua http://127.0.0.1:8313 -- URLS_FILE START_LINE
--
-- Prints one more line after wrk's own report: "statuses: 200=812 404=133".

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   urls = {}
   for line in io.lines(args[1]) do
      if #line > 0 then
         urls[#urls + 1] = line
      end
   end
   if #urls == 0 then
      error("no URLs in " .. tostring(args[1]))
   end
   -- The index of the URL sent last: the first request sends line START_LINE (0-based).
   position = (tonumber(args[2]) or 0) % #urls
   statuses = {}
end

function request()
   position = position % #urls + 1
   return wrk.format(nil, urls[position])
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + n
      end
   end
   local keys = {}
   for status in pairs(total) do
      keys[#keys + 1] = status
   end
   table.sort(keys)
   local parts = {}
   for _, status in ipairs(keys) do
      parts[#parts + 1] = status .. "=" .. total[status]
   end
   io.write("statuses: " .. table.concat(parts, " ") .. "\n")
end
