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
onboard-unavailable = Sources administration is not available in this process: start babillard with run or serve.
