-- wrk -t1 -s requests.lua URL -- METHOD TARGETS_FILE BODY_FILE RUN_ID
--
-- Builds request n as tests/benchmarks/loads.py's Load.request does: requests rotate through
-- TARGETS_FILE ("path<TAB>token" lines, token "-" for none); BODY_FILE (empty name: no body)
-- holds JSON in which a "%s" becomes "RUN_ID-n", so every created post has its own title.
-- Requests that never change are formatted once, so wrk's own CPU stays small: it shares the
-- machine with the server it measures.

local targets = {}
local fixed = {}
local method, template, run_id
local n = -1

local function headers_for(token)
  local headers = {}
  if token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
  if template then
    headers["Content-Type"] = "application/json"
  end
  return headers
end

function init(args)
  method, run_id = args[1], args[4]
  if args[3] ~= "" then
    local file = assert(io.open(args[3], "r"))
    template = file:read("*a")
    file:close()
  end
  for line in io.lines(args[2]) do
    local path, token = line:match("^(%S+)\t(%S+)$")
    targets[#targets + 1] = { path = path, headers = headers_for(token) }
  end
  if not (template and template:find("%%s")) then
    for i, target in ipairs(targets) do
      fixed[i] = wrk.format(method, target.path, target.headers, template)
    end
  end
end

function request()
  n = n + 1
  local i = n % #targets + 1
  if fixed[i] then
    return fixed[i]
  end
  local target = targets[i]
  local body = string.format(template, run_id .. "-" .. n)
  return wrk.format(method, target.path, target.headers, body)
end
