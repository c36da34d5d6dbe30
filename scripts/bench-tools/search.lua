-- wrk script for `scripts/bench search`: every request a query of one kind
-- (SEARCH_KIND: text, range, category, geo, bbox) from a random minute of
-- the season (SEARCH_START, YYYY-MM-DD, and the 300 days after), so that the
-- server's answer cache (one rendering per query and index generation)
-- almost never answers and each request is a search.
local kind = os.getenv("SEARCH_KIND") or "text"
local y, m, d = (os.getenv("SEARCH_START") or "2027-01-04"):match("(%d+)-(%d+)-(%d+)")
local season = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
local words = { "concert", "theatre", "atelier", "exposition", "conte", "danse",
  "cinema", "jazz", "orchestre", "lecture", "conference", "spectacle", "famille", "noel" }
local categories = { "musique", "theatre", "danse", "arts-visuels", "cinema", "litterature",
  "famille", "patrimoine", "humour", "cirque" }

local function at(minutes)
  return os.date("!%Y-%m-%dT%H:%M:00Z", season + minutes * 60)
end

local function pick(list)
  return list[math.random(#list)]
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  local from = math.random(0, 300 * 1440)
  local q
  if kind == "text" then
    q = "q=" .. pick(words) .. "&from=" .. at(from)
  elseif kind == "range" then
    q = "from=" .. at(from) .. "&to=" .. at(from + 7 * 1440)
  elseif kind == "category" then
    q = "category=" .. pick(categories) .. "&from=" .. at(from)
  elseif kind == "geo" then
    q = "near=45.57,-73.69&radius_km=" .. math.random(1, 20) .. "&from=" .. at(from)
  else
    q = "bbox=-73.9,45.5,-73.5,45.7&from=" .. at(from)
  end
  return wrk.format("GET", "/api/v1/events?" .. q)
end
