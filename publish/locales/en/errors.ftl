# The portal's error pages, and the sentences that explain to the staff why
# a source could not be read (explain.rs): what happened, then what to do.

## Error pages.
error-bad-request-title = Bad request
error-bad-parameter = The parameter { $parameter } in this page’s address could not be understood.
error-parameter-hint = { $parameter ->
    [from] It expects a date, such as 2026-12-05 (or a date and time, such as 2026-12-05T20:00).
    [to] It expects a date after the start of the search, such as 2026-12-31.
    [month] It expects a month, such as 2026-12.
    [view] It expects list or month.
    [lang] It expects one of the calendar’s languages: { $languages }.
    [limit] It expects a whole number from 1 to { $max }.
    [near] It expects a latitude and a longitude separated by a comma, such as 45.56,-73.71.
    [radius_km] It expects a distance in kilometres, above 0, with near.
    [bbox] It expects four numbers: the smallest longitude and latitude, then the largest.
    [cursor] This link to more results is no longer valid: start the search again.
   *[other] Check its value in the page’s address.
}
error-detail = Technical detail
error-back = Back to the calendar
error-event-not-found-title = Event not found
error-event-not-found = No event has the id { $id }. Its organizer may have removed it.
error-all-events = All events
error-page-not-found-title = Page not found
error-page-not-found = There is no page at { $path }: the link may be old or mistyped.
error-server-title = Server error
error-server = The calendar cannot be read right now. Try again in a few minutes.

## Why a source could not be read, one sentence per kind of failure.
source-error-invalid-url = This source’s address is not a valid web address (http or https): correct it in the member’s settings.
source-error-timeout = The site did not answer in time: it may be overloaded or down. It will be read again at the next scheduled run; if this lasts for days, tell the member.
source-error-tls = The secure (HTTPS) connection to the site failed: its certificate has probably expired or is badly installed. Tell the member; the address itself is fine.
source-error-dns = The site’s domain name cannot be found: it may have expired, or the address is misspelled. Check it, then ask the member whether the site moved to another domain.
source-error-connect = The site’s server does not answer: it is probably offline. It will be read again at the next scheduled run; if this lasts, check that the site opens in a browser.
source-error-robots = The site forbids robots to read this page (its robots.txt file): ask the member to allow babillard, or for the address of their calendar (ICS) or RSS feed.
source-error-private = This address leads to a private network (an intranet, a local machine), which babillard will not read for safety: use the site’s public address.
source-error-redirects = The site sends the reader from one address to another without end: open the address in a browser, then copy the final address into the member’s settings.
source-error-refused = Reading was blocked by one of babillard’s safety rules: check that the address is public and opens in a browser.
source-error-not-found = The site answered 404 (page not found): the address has probably changed; open it in a browser and correct the member’s URL.
source-error-forbidden = The site denied access (error { $code }): the page asks for a login or blocks robots. Ask the member for a public address, such as their calendar’s (ICS).
source-error-gone = The site answered 410: the page was removed for good. Ask the member for the new address, or pause the source.
source-error-rate-limited = The site answered 429: it gets too many requests and asks to wait. Read this source less often; it will be read again at the next scheduled run.
source-error-client = { $code ->
    [0] The site turned the request down
   *[other] The site turned the request down (error { $code })
    }: open the address in a browser to see what it shows, then correct the member’s URL.
source-error-server = { $code ->
    [0] The site’s server is failing
   *[other] The site’s server is failing (error { $code })
    }: the problem is on the member’s side, not in the address. It will be read again at the next scheduled run; if this lasts, tell the member.
source-error-too-large = The document is too big to be read: give the address of a lighter calendar or feed instead, such as one with upcoming events only.
source-error-io = This source’s local file is missing or unreadable: check its path and permissions on the server.
source-error-http-client = babillard could not prepare its web connections (system certificates missing?): a problem with the server’s installation, not with the source; tell the person who runs it.
source-error-parse = The document was read, but it is malformed and its events could not be taken from it: tell the member; a calendar or feed validator will show them the mistake.
source-error-wrong-kind = The address does not give the expected kind of document (a web page instead of an ICS calendar, for instance): correct the source’s kind, or its address.
source-error-unknown-kind = babillard finds no calendar, no feed and no events in the page at this address: choose the source’s kind by hand, or ask the member for the address of their calendar (ICS) or RSS feed.
source-error-internal = A fault in babillard stopped the reading: the member is not to blame. Run it again; if the fault comes back, report it with the technical detail.
source-error-other = Reading this source failed: the technical detail says why. Open the address in a browser to check that it works.
