# Adding a member by its address, and the events entered by hand.

onboard-manual-source = Entered by hand
onboard-preview-nothing = No event recognized at this address: give selectors (where each event's title and date are), or ask the member for the address of its calendar (ICS) or feed (RSS).
onboard-preview-nothing-feed = No event recognized on this page: give selectors, or use the feed the page announces ({ $feed }).
onboard-preview-warnings = { $count ->
    [one] One item could not be read; the other events are there. Detail: { $detail }
   *[other] { $count } items could not be read; the other events are there. First detail: { $detail }
}
onboard-preview-more = { $count } events found: the preview shows only { $shown }.
onboard-preview-bad-url = Give a full address starting with http:// or https://.
onboard-preview-refused = This address leads to a private or local network, which babillard does not read (the allow_private_networks setting): give the site's public address.
onboard-preview-timeout = The site did not answer in time: try again later, or check the address in a browser.
onboard-preview-status = The site answered with an error ({ $detail }): open the address in a browser and correct it.
onboard-preview-unreachable = The site cannot be reached ({ $detail }): check the address.
onboard-preview-too-large = The page is too large to read: look for the address of a lighter calendar (ICS) or feed (RSS).
onboard-preview-unknown-kind = Cannot tell what this address holds ({ $detail }): it is neither a calendar, nor a feed, nor a readable events page.
onboard-preview-failed = Reading this address failed: { $detail }
onboard-unavailable = Sources administration is not available in this process: start babillard with run or serve.
