-- wrk script: GET /v1/recommend for varying users, cycling through the ids in a file (one per
-- line, a header line allowed, first CSV column used), e.g. users.csv from `mfrec export`.
-- Usage: wrk -s scripts/wrk_recommend.lua http://127.0.0.1:8080 -- USERS_FILE [K]
local requests, n, at = {}, 0, 0

function init(args)
  local file, k = args[1], args[2] or "10"
  assert(file, "pass the users file after --")
  local ids = {}
  for line in io.lines(file) do
    local first = line:match("^([^,]*)")
    local second = line:match("^[^,]*,([^,]*)")
    -- users.csv from `mfrec export` is index,id: take the id column; a plain list: the line.
    local id = second or first
    if id and id ~= "" and id ~= "id" and id ~= "index" then ids[#ids + 1] = id end
  end
  assert(#ids > 0, "no user ids in " .. file)
  -- Each thread starts at its own offset so that threads do not ask for the same user in step.
  local start = math.random(#ids)
  for j = 1, #ids do
    local id = ids[(start + j - 2) % #ids + 1]
    requests[j] = wrk.format("GET", "/v1/recommend?user=" .. id .. "&k=" .. k)
  end
  n = #requests
end

function request()
  at = at % n + 1
  return requests[at]
end
