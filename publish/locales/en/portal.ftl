# The public portal (/), its forms, the month view, /sources and /embed.

## The list of events.
portal-title = Cultural calendar
portal-events = Events
portal-count = { $count ->
    [one] { $count } event
   *[other] { $count } events
}
portal-next = Next events →
portal-no-match = No event matches this search.

## The search form.
portal-search-label = Search events
portal-search-field = Search
portal-from = From
portal-to = To (excluded)
portal-category = Category
portal-all-categories = All categories
portal-venue = Venue
portal-territory = Territory
portal-all-territories = All territories
portal-all-venues = All venues
portal-search-button = Search

## List or month.
portal-view = View
portal-view-list = List
portal-view-month = Month
portal-months = Months

## Subscribing.
portal-subscribe = Subscribe
portal-subscribe-help = These links follow the current search: your calendar updates itself.
portal-subscribe-webcal = Apple Calendar, Thunderbird (webcal)
portal-subscribe-ics = iCalendar file (.ics)

## Embedding.
portal-embed = Embed
portal-embed-help = Paste one of these snippets into your site to show the current search there.
portal-embed-limit = Number of events
portal-embed-update = Update
portal-embed-widget = Widget (script)
portal-embed-iframe = Iframe (if your site refuses scripts)
portal-copy = Copy
portal-copied = Copied
portal-embed-see-calendar = See the calendar

## /sources, the sources' health.
portal-sources-title = Sources’ health
portal-sources-summary-ok = { $count } ok
portal-sources-summary-failing = { $count } failing
portal-sources-summary-total = { $count ->
    [one] { $count } source
   *[other] { $count } sources
}
portal-sources-timezone = times in { $zone }
portal-sources-caption = The same data as /api/v1/sources.
portal-sources-col-source = Source
portal-sources-col-status = Status
portal-sources-col-last-fetch = Last fetch
portal-sources-col-last-success = Last success
portal-sources-col-last-error = Last error
portal-sources-col-events = Events
portal-sources-col-next-run = Next run
portal-sources-kind-unknown = kind not known yet
portal-sources-status-ok = OK
portal-sources-status-error = Error
portal-sources-status-warning = Needs attention
portal-sources-silent = Read without error, but no event recognized: see the detail for the likely fix.
portal-sources-status-never = Never read
portal-sources-error-detail = Technical detail

error-calendar-not-found-title = Calendar not found
error-calendar-not-found = There is no calendar “{ $id }” here.
