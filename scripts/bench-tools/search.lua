-- wrk script for `scripts/bench search`: every request a query of one kind
-- (SEARCH_KIND: text, range, category, territory, geo, bbox) from a random minute of
-- the season (SEARCH_START, YYYY-MM-DD, and the 300 days after), so that the
-- server's answer cache (one rendering per query and index generation)
-- almost never answers and each request is a search, asked with
-- `Accept-Encoding: gzip` as browsers and the widget ask.
local kind = os.getenv("SEARCH_KIND") or "text"
local y, m, d = (os.getenv("SEARCH_START") or "2027-01-04"):match("(%d+)-(%d+)-(%d+)")
local season = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
local words = { "concert", "theatre", "atelier", "exposition", "conte", "danse",
  "cinema", "jazz", "orchestre", "lecture", "conference", "spectacle", "famille", "noel" }
-- The generated region's taxonomy and territories (src/bin/region.rs), and
-- the centres of its districts (a person searching near where they are).
local categories = { "musique", "theatre", "danse", "arts-visuels", "cinema", "litterature",
  "jeunesse", "ateliers", "conferences" }
local territories = { "ouest", "centre", "est" }
local centres = { "45.545,-73.750", "45.612,-73.785", "45.610,-73.722", "45.557,-73.705",
  "45.590,-73.655", "45.527,-73.815", "45.550,-73.865", "45.635,-73.610" }

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
  elseif kind == "territory" then
    q = "territory=" .. pick(territories) .. "&from=" .. at(from)
  elseif kind == "geo" then
    q = "near=" .. pick(centres) .. "&radius_km=" .. math.random(1, 10) .. "&from=" .. at(from)
  else
    q = "bbox=-73.9,45.5,-73.5,45.7&from=" .. at(from)
  end
  -- As a browser or the widget asks: the answer gzipped.
  return wrk.format("GET", "/api/v1/events?" .. q, { ["Accept-Encoding"] = "gzip" })
end
